import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { extname } from 'node:path';
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
import { createSenderGate, createSenderSlots } from './db/sender-paces.js';
import { createSecretStash } from './db/secret-stash.js';
import { dataConverterOption } from './engine/data-converter.js';
import { ensureRetentionSchedule } from './engine/retention-schedule.js';
import { startHousekeeping } from './housekeeping.js';
import { startOutboxRelay } from './engine/start-relay.js';
import { startWorkerHealth } from './worker-health.js';
import { createLinks } from './links.js';
import { startEmailDispatcher } from './messages/dispatcher.js';
import { phoneQueueConcurrency } from './messages/timing.js';
import { phoneTaskQueue } from './workflows/task-queues.js';
import { createEngineMetrics } from './telemetry/metrics.js';
import { startMetricsServer } from './telemetry/metrics-server.js';
import { installTemporalRuntime, temporalMetrics } from './telemetry/temporal-runtime.js';
import { tracedChannels, tracingFromConfig, type Tracing } from './telemetry/tracing.js';

// index.ts under tsx, index.js in the compiled dist/.
export const workflowsPath = fileURLToPath(new URL(`./workflows/index${extname(import.meta.url)}`, import.meta.url));
/** Where `npm run build:workflows` writes the bundle; production sets WORKFLOW_BUNDLE_PATH to it. */
export const prebuiltBundlePath = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

/** `interceptorModules`: tracing's workflow interceptors; a pre-built bundle has none, so then it bundles at start. */
export async function workflowBundle(logger?: Logger, prebuilt?: string, interceptorModules: string[] = []): Promise<WorkflowBundle> {
  if (prebuilt && interceptorModules.length === 0) return { code: readFileSync(prebuilt, 'utf8') };
  logger?.info(prebuilt ? 'bundling workflow code with the tracing interceptors (the pre-built bundle has none)' : 'bundling workflow code');
  return bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: interceptorModules, logger: logger ? bundlerLogger(logger) : undefined });
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
  /** Traces: activity spans and the sink of the workflows' spans (src/telemetry/tracing.ts). */
  tracing?: Pick<Tracing, 'worker'>;
}): Promise<Worker[]> {
  // Options both workers share: the payload converter (X7) and the tracing interceptors and sink.
  const shared = { ...(input.dataConverter ? { dataConverter: input.dataConverter } : {}), ...(input.tracing?.worker ?? {}) };
  const activities = input.activities as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const main = await Worker.create({
    connection: input.connection,
    namespace: input.namespace,
    taskQueue: input.taskQueue,
    workflowBundle: input.bundle,
    activities,
    ...shared,
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
    ...shared,
    maxConcurrentActivityTaskExecutions: phoneQueueConcurrency(input.phoneMessagesPerSecond),
  });
  return [main, phone];
}

/** How often the worker purges expired B7 secrets. */
const HOUSEKEEPING_EVERY_MS = 15 * 60_000;

/**
 * Builds every dependency once from config and runs the workers until `signal` aborts.
 * `temporalMetricsUrl`: the SDK's own exporter (installTemporalRuntime), merged into /metrics.
 */
export async function runWorker(deps: {
  config: Config;
  orm?: MikroORM;
  logger?: Logger;
  signal?: AbortSignal;
  tracing?: Tracing;
  temporalMetricsUrl?: string;
  /** Called once /metrics listens (METRICS_PORT), with its URL. */
  onMetrics?: (url: string) => void;
}): Promise<void> {
  const { config } = deps;
  const logger = deps.logger ?? pino({ level: config.LOG_LEVEL });
  const orm = deps.orm ?? (await openOrm(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX, poolMin: config.WORKER_DATABASE_POOL_MIN }));
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const { tracing } = deps;
  const client = new Client({
    connection: clientConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...dataConverterOption(config.TEMPORAL_PAYLOAD_KEYS),
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
  const metrics = createEngineMetrics({ orm });
  const phoneRate = config.PHONE_MESSAGES_PER_SECOND;
  const providers = createChannels({
    ...channelSettingsFromConfig(config),
    defaultEmailFrom: { name: config.DEFAULT_EMAIL_FROM_NAME, address: config.DEFAULT_EMAIL_FROM },
    defaultSmsFrom: config.DEFAULT_SMS_FROM,
    defaultVoiceFrom: config.DEFAULT_VOICE_FROM,
    ...(config.SMS_REPLY_FROM ? { smsReplyFrom: config.SMS_REPLY_FROM } : {}),
  });
  const channels = tracing ? tracedChannels(providers, tracing.tracer) : providers;
  const secrets = createSecretStash({ orm, key: messageSecretKeys(config) });
  const dispatch = config.EMAIL_DISPATCH_CONCURRENCY > 0;
  const activityDeps = {
    orm,
    channels,
    links: createLinks({ publicBaseUrl: config.PUBLIC_BASE_URL, secret: linkSigningKeys(config) }),
    secrets,
    temporal: client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    logger,
    // X9: one pace per sender for all workers together, its slots in the database.
    phonePacer: createPacer({
      perSecond: phoneRate,
      slots: (spacingMs) => createSenderSlots(orm, spacingMs),
      gate: (rule) => createSenderGate(orm, rule),
    }),
    callbackPolicy: { allowLoopback: config.CALLBACK_ALLOW_LOOPBACK },
    observer: metrics.observer,
    emailDispatch: dispatch,
  };
  const activities = createActivities(activityDeps);
  const workers = await createWorkers({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities,
    bundle: await workflowBundle(logger, config.WORKFLOW_BUNDLE_PATH, tracing?.workflowInterceptorModules),
    phoneMessagesPerSecond: phoneRate,
    ...workerTuning(config),
    ...dataConverterOption(config.TEMPORAL_PAYLOAD_KEYS),
    ...(tracing ? { tracing } : {}),
  });
  const metricsUrl = deps.temporalMetricsUrl;
  const metricsServer = config.METRICS_PORT
    ? await startMetricsServer({
        port: config.METRICS_PORT,
        ...(config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : {}),
        scrape: async () => (await metrics.scrape()) + (metricsUrl ? await temporalMetrics(metricsUrl) : ''),
      })
    : null;
  if (metricsServer) {
    logger.info({ url: metricsServer.url }, 'worker metrics listening');
    deps.onMetrics?.(metricsServer.url);
  }
  await ensureRetentionSchedule(client, { taskQueue: config.TEMPORAL_TASK_QUEUE }); // X7
  const housekeeping = startHousekeeping({ orm, secrets, logger, everyMs: HOUSEKEEPING_EVERY_MS });
  const relay = await startOutboxRelay({ config, orm, client, logger });
  // #13: the emails prepared ahead, sent at their due time in batches (src/messages/dispatcher.ts).
  const dispatcher = dispatch ? startEmailDispatcher(activityDeps, { concurrency: config.EMAIL_DISPATCH_CONCURRENCY, identity: `${hostname()}:${process.pid}` }) : null;
  const health = config.WORKER_HEALTH_PORT ? await startWorkerHealth({ port: config.WORKER_HEALTH_PORT, host: '0.0.0.0', workers, orm }) : null;
  deps.signal?.addEventListener('abort', () => workers.forEach((w) => w.shutdown()));
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
  try {
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await dispatcher?.stop();
    await metricsServer?.close();
    housekeeping.stop();
    await health?.close();
    await relay.stop();
    await providers.close();
    await clientConnection.close();
    await connection.close();
    if (!deps.orm) await orm.close();
  }
}

/** The worker process (`node dist/worker.js`, `npm run worker`): config from `env`, stops on SIGINT / SIGTERM. */
export function main(env: Record<string, string | undefined> = process.env): void {
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
  const config = loadConfig(env);
  // The SDK's runtime must be installed before the first Temporal connection of the process.
  const runtime = config.METRICS_PORT ? installTemporalRuntime(config.TEMPORAL_METRICS_PORT ? { port: config.TEMPORAL_METRICS_PORT } : {}) : Promise.resolve(null);
  const tracing = tracingFromConfig(config, 'clinic-worker');
  runtime
    .then((rt) => runWorker({ config, signal: controller.signal, ...(tracing ? { tracing } : {}), ...(rt ? { temporalMetricsUrl: rt.metricsUrl } : {}) }))
    .finally(() => tracing?.shutdown())
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
