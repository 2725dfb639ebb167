import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter, Logger as TemporalLogger } from '@temporalio/common';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createActivities } from './activities/index.js';
import { createPacer } from './channels/pacer.js';
import type { EngineActivities } from './activities/types.js';
import { channelSettingsFromConfig, createChannels } from './channels/index.js';
import { linkSigningKeys, loadConfig, messageSecretKeys, type Config } from './config.js';
import { openOrm } from './db/orm.js';
import { createSecretStash } from './db/secret-stash.js';
import { dataConverterOption } from './engine/data-converter.js';
import { ensureRetentionSchedule } from './engine/retention-schedule.js';
import { startHousekeeping } from './housekeeping.js';
import { startOutboxRelay } from './engine/start-relay.js';
import { createLinks } from './links.js';
import { phoneQueueConcurrency } from './messages/timing.js';
import { phoneTaskQueue } from './workflows/task-queues.js';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
/** Where `npm run build:workflows` writes the bundle; production sets WORKFLOW_BUNDLE_PATH to it. */
export const prebuiltBundlePath = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

export async function workflowBundle(logger?: Logger, prebuilt?: string): Promise<WorkflowBundle> {
  if (prebuilt) return { code: readFileSync(prebuilt, 'utf8') };
  logger?.info('bundling workflow code');
  return bundleWorkflowCode({ workflowsPath, logger: logger ? bundlerLogger(logger) : undefined });
}

/** The bundler's webpack report goes to the log at debug level, not to the terminal. */
function bundlerLogger(logger: Logger): TemporalLogger {
  const at = (level: 'trace' | 'debug' | 'warn' | 'error') => (message: string, meta?: Record<string, unknown>) => logger[level](meta ?? {}, message);
  return {
    log: (level, message, meta) => at(level === 'WARN' ? 'warn' : level === 'ERROR' ? 'error' : 'debug')(message, meta),
    trace: at('trace'),
    debug: at('debug'),
    info: at('debug'),
    warn: at('warn'),
    error: at('error'),
  };
}

/** The workflow-cache settings of a worker (shared with bench/floor-worker.ts, so the floor runs as the project does). */
export function workerTuning(config: Pick<Config, 'WORKER_MAX_CACHED_WORKFLOWS' | 'WORKER_STICKY_TIMEOUT_SECONDS'>) {
  return {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    stickyQueueScheduleToStartTimeout: config.WORKER_STICKY_TIMEOUT_SECONDS * 1000,
  };
}

/**
 * The two workers of one process: the main queue runs workflows, database activities and email;
 * the phone queue runs only SMS / voice sends under a per-sender rate limit (A3, bars).
 */
export async function createWorkers(input: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  activities: EngineActivities;
  bundle: WorkflowBundle;
  phoneMessagesPerSecond: number;
  maxCachedWorkflows?: number;
  /** ms a workflow task waits on this worker's sticky queue (see WORKER_STICKY_TIMEOUT_SECONDS). */
  stickyQueueScheduleToStartTimeout?: number;
  /** X7: payload encryption (src/engine/data-converter.ts); unset = Temporal's defaults. */
  dataConverter?: DataConverter;
}): Promise<Worker[]> {
  const converter = input.dataConverter ? { dataConverter: input.dataConverter } : {};
  const activities = input.activities as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const main = await Worker.create({
    connection: input.connection,
    namespace: input.namespace,
    taskQueue: input.taskQueue,
    workflowBundle: input.bundle,
    activities,
    ...converter,
    ...(input.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: input.maxCachedWorkflows }),
    ...(input.stickyQueueScheduleToStartTimeout === undefined ? {} : { stickyQueueScheduleToStartTimeout: input.stickyQueueScheduleToStartTimeout }),
  });
  // The per-sender pace of SMS / voice is kept by the activity (deps.phonePacer), not by the
  // server's task-queue rate limit: that one let bursts of 18/s through a 10/s limit and cannot
  // order what waits. The worker holds up to PHONE_QUEUE_HOLD_SECONDS of sends (src/messages/timing.ts).
  const phone = await Worker.create({
    connection: input.connection,
    namespace: input.namespace,
    taskQueue: phoneTaskQueue(input.taskQueue),
    activities: { sendMessage: input.activities.sendMessage },
    ...converter,
    maxConcurrentActivityTaskExecutions: phoneQueueConcurrency(input.phoneMessagesPerSecond),
  });
  return [main, phone];
}

/** How often the worker purges expired B7 secrets. */
const HOUSEKEEPING_EVERY_MS = 15 * 60_000;

/** Builds every dependency once from config and runs the workers until `signal` aborts. */
export async function runWorker(deps: { config: Config; orm?: MikroORM; logger?: Logger; signal?: AbortSignal }): Promise<void> {
  const { config } = deps;
  const logger = deps.logger ?? pino({ level: config.LOG_LEVEL });
  const orm = deps.orm ?? (await openOrm(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX, poolMin: config.WORKER_DATABASE_POOL_MIN }));
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, ...dataConverterOption(config.TEMPORAL_PAYLOAD_KEYS) });
  const phoneRate = config.PHONE_MESSAGES_PER_SECOND / config.PHONE_WORKER_REPLICAS;
  const channels = createChannels({
    ...channelSettingsFromConfig(config),
    defaultEmailFrom: { name: config.DEFAULT_EMAIL_FROM_NAME, address: config.DEFAULT_EMAIL_FROM },
    defaultSmsFrom: config.DEFAULT_SMS_FROM,
    defaultVoiceFrom: config.DEFAULT_VOICE_FROM,
    ...(config.SMS_REPLY_FROM ? { smsReplyFrom: config.SMS_REPLY_FROM } : {}),
  });
  const secrets = createSecretStash({ orm, key: messageSecretKeys(config) });
  const activities = createActivities({
    orm,
    channels,
    links: createLinks({ publicBaseUrl: config.PUBLIC_BASE_URL, secret: linkSigningKeys(config) }),
    secrets,
    temporal: client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    logger,
    phonePacer: createPacer({ perSecond: phoneRate }),
    callbackPolicy: { allowLoopback: config.CALLBACK_ALLOW_LOOPBACK },
  });
  const workers = await createWorkers({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities,
    bundle: await workflowBundle(logger, config.WORKFLOW_BUNDLE_PATH),
    phoneMessagesPerSecond: phoneRate,
    ...workerTuning(config),
    ...dataConverterOption(config.TEMPORAL_PAYLOAD_KEYS),
  });
  await ensureRetentionSchedule(client, { taskQueue: config.TEMPORAL_TASK_QUEUE }); // X7
  const housekeeping = startHousekeeping({ orm, secrets, logger, everyMs: HOUSEKEEPING_EVERY_MS });
  const relay = await startOutboxRelay({ config, orm, client, logger });
  deps.signal?.addEventListener('abort', () => workers.forEach((w) => w.shutdown()));
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    housekeeping.stop();
    await relay.stop();
    await channels.close();
    await clientConnection.close();
    await connection.close();
    if (!deps.orm) await orm.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
  runWorker({ config: loadConfig(), signal: controller.signal }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
