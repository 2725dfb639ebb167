/**
 * The one-command local stack behind `npm start`: embedded PostgreSQL (unless DATABASE_URL), the
 * Temporal dev server (unless TEMPORAL_ADDRESS), migrations, the demo center, maildev, the
 * Twilio test server, the worker and the API, all in one process with data under `.data/`.
 * Printing and signal handling live in src/dev.ts; this module starts and stops.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { chmodSync, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { z } from 'zod';
import { ConfigError, configSchema, loadConfig, type Config } from '../config.js';
import { migrateUp, openOrm } from '../db/orm.js';
import { seedDemoCenter, type DemoSeed } from '../db/seed.js';
import { dataConverterOption } from '../engine/data-converter.js';
import { registerSearchAttributes } from '../engine/register-search-attributes.js';
import { buildApi } from '../server.js';
import { startOutboxRelay } from '../engine/start-relay.js';
import { runWorker } from '../worker.js';
import { loadOrCreateLocalSecrets, type LocalSecrets } from './local-secrets.js';
import { startMailCatcher } from './maildev.js';
import { startLocalPostgres } from './postgres.js';
import { readPidFile, stopStaleProcess } from './stale-process.js';
import { temporalBinaries } from './temporal-binaries.js';
import { startTemporalDevServer } from './temporal-dev-server.js';
import { startTwilioTestServer } from './twilio-server.js';
import { closedParent } from './enterable.js';

const HOST = '127.0.0.1';

/** Local-stack-only settings (not part of src/config.ts: a deployment has none of these). */
const localEnvSchema = z.object({
  LOCAL_DATA_DIR: z.string().min(1).optional(),
  LOCAL_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(5433),
  LOCAL_TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  LOCAL_TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  LOCAL_SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(1025),
  LOCAL_MAIL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(1080),
  LOCAL_TWILIO_PORT: z.coerce.number().int().min(1).max(65535).default(3099),
});
export type LocalEnv = z.infer<typeof localEnvSchema>;

export function parseLocalEnv(env: Record<string, string | undefined>): LocalEnv {
  const result = localEnvSchema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message })));
}

export type StackProgress = { phase: 'start'; step: string } | { phase: 'done'; step: string; ms: number; note?: string };

export interface LocalStackOptions {
  /** The repository root; data goes to `{rootDir}/.data` unless LOCAL_DATA_DIR says otherwise. */
  rootDir: string;
  /** Usually process.env: config keys set here override the local values. */
  env: Record<string, string | undefined>;
  /** Make new demo API keys (the previous ones are revoked). */
  freshKeys?: boolean;
  onProgress?: (event: StackProgress) => void;
}

export interface LocalStack {
  config: Config;
  dataDir: string;
  urls: {
    api: string;
    docs: string;
    healthz: string;
    temporalAddress: string;
    temporalNamespace: string;
    /** null when TEMPORAL_ADDRESS points at an external server. */
    temporalUi: string | null;
    mailUi: string;
    mailApi: string;
    twilio: string;
    twilioRecorded: string;
    /** Without the password. */
    postgres: string;
  };
  postgres: { embedded: boolean; dataDir: string | null };
  secrets: { file: string; created: boolean; values: LocalSecrets };
  demo: DemoSeed;
  logDir: string;
  /** Rejects when a part fails after start (e.g. the worker stops on its own). */
  crashed: Promise<never>;
  /** Stops everything in reverse order of start. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const local = parseLocalEnv(options.env);
  const userEnv = Object.fromEntries(Object.keys(configSchema.shape).flatMap((key) => (options.env[key] ? [[key, options.env[key]]] : [])));
  const dataDir = resolve(options.rootDir, local.LOCAL_DATA_DIR ?? '.data');
  const logDir = join(dataDir, 'logs');
  // PostgreSQL (as user postgres when we are root) must be able to walk into the data folder.
  mkdirSync(logDir, { recursive: true });
  chmodSync(dataDir, 0o755);

  const stoppers: { name: string; stop: () => Promise<void> }[] = [];
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      for (const part of stoppers.reverse()) await part.stop();
    })();
    return stopping;
  };
  const step = async <T>(name: string, work: () => Promise<T>, note?: (result: T) => string): Promise<T> => {
    options.onProgress?.({ phase: 'start', step: name });
    const started = performance.now();
    const result = await work();
    options.onProgress?.({ phase: 'done', step: name, ms: Math.round(performance.now() - started), note: note?.(result) });
    return result;
  };
  const logFile = (name: string): WriteStream => {
    const stream = createWriteStream(join(logDir, name), { flags: 'a' });
    stoppers.push({ name: `${name} log`, stop: () => new Promise<void>((done) => stream.end(done)) });
    return stream;
  };

  try {
    const secretsFile = join(dataDir, 'local-secrets.json');
    const secrets = await step('local secrets', async () => loadOrCreateLocalSecrets(secretsFile), (s) => (s.created ? 'generated' : 'reused'));

    // ---- PostgreSQL ----
    let databaseUrl = userEnv.DATABASE_URL;
    let postgresDataDir: string | null = null;
    if (!databaseUrl) {
      postgresDataDir = postgresDataDirFor(dataDir, options.rootDir);
      const pgDir = postgresDataDir;
      const pgLog = logFile('postgres.log');
      const server = await step(
        'PostgreSQL (embedded)',
        async () => {
          const stalePid = readPidFile(join(pgDir, 'postmaster.pid'));
          if (stalePid !== null) await stopStaleProcess(stalePid, ['postgres', pgDir]);
          return startLocalPostgres({ dataDir: pgDir, port: local.LOCAL_POSTGRES_PORT, onLog: (line) => pgLog.write(line.endsWith('\n') ? line : `${line}\n`) });
        },
        () => pgDir,
      );
      stoppers.push({ name: 'PostgreSQL', stop: () => server.stop() });
      databaseUrl = await server.createDatabase('comms');
    }

    const orm = await step('migrations', async () => {
      // One pool shared by the API and the worker of the local stack.
      const opened = await openOrm(databaseUrl, { poolMax: configSchema.shape.DATABASE_POOL_MAX.parse(options.env.DATABASE_POOL_MAX) });
      stoppers.push({ name: 'database pool', stop: () => opened.close() });
      const applied = await migrateUp(opened);
      return { orm: opened, applied };
    }, ({ applied }) => (applied.length ? `applied ${applied.length}` : 'up to date')).then((r) => r.orm);

    const demo = await step(
      'demo center',
      () => seedDemoCenter(orm.em.fork(), { freshKeys: options.freshKeys }),
      (d) => (d.created ? 'created' : d.keys ? 'new keys' : 'already there'),
    );

    // ---- Temporal ----
    const namespace = userEnv.TEMPORAL_NAMESPACE ?? 'default';
    let temporalAddress = userEnv.TEMPORAL_ADDRESS;
    let temporalUi: string | null = null;
    if (!temporalAddress) {
      const temporalLog = logFile('temporal.log');
      const server = await step('Temporal dev server', () =>
        startTemporalDevServer({
          cliPath: temporalBinaries().cli,
          dataDir: join(dataDir, 'temporal'),
          ip: HOST,
          port: local.LOCAL_TEMPORAL_PORT,
          uiPort: local.LOCAL_TEMPORAL_UI_PORT,
          namespace,
          onLog: (line) => temporalLog.write(`${line}\n`),
        }),
      );
      stoppers.push({ name: 'Temporal dev server', stop: () => server.stop() });
      temporalAddress = server.address;
      temporalUi = server.uiUrl;
    } else {
      const address = temporalAddress;
      await step('Temporal search attributes', async () => {
        const connection = await Connection.connect({ address });
        try {
          await registerSearchAttributes(connection, namespace);
        } finally {
          await connection.close();
        }
      });
    }

    // ---- Mail and phone stand-ins ----
    const mail = await step('mail catcher (maildev)', () =>
      startMailCatcher({ smtpPort: local.LOCAL_SMTP_PORT, webPort: local.LOCAL_MAIL_UI_PORT, host: HOST, mailDirectory: join(dataDir, 'maildev') }),
    );
    stoppers.push({ name: 'mail catcher', stop: () => mail.stop() });

    const accountSid = userEnv.TWILIO_ACCOUNT_SID ?? secrets.secrets.TWILIO_ACCOUNT_SID;
    const authToken = userEnv.TWILIO_AUTH_TOKEN ?? secrets.secrets.TWILIO_AUTH_TOKEN;
    const twilio = await step('Twilio test server', () => startTwilioTestServer({ accountSid, authToken, port: local.LOCAL_TWILIO_PORT }));
    stoppers.push({ name: 'Twilio test server', stop: () => twilio.stop() });

    // ---- Config: local values, overridden by whatever the environment sets ----
    const apiPort = Number(userEnv.API_PORT ?? 3000);
    const config = loadConfig({
      NODE_ENV: 'development',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      ...(temporalUi ? { TEMPORAL_UI_URL: temporalUi } : {}),
      API_PORT: String(apiPort),
      PUBLIC_BASE_URL: `http://${HOST}:${apiPort}`,
      PLATFORM_API_KEY: secrets.secrets.PLATFORM_API_KEY,
      // Key `0` is the secret local links were signed with before key ids, so they keep working
      // (a LINK_SIGNING_SECRET set in the environment replaces both lists).
      ...(userEnv.LINK_SIGNING_SECRET
        ? {}
        : {
            LINK_SIGNING_KEYS: `0:${secrets.secrets.LINK_SIGNING_SECRET}`,
            MESSAGE_SECRET_KEYS: `m1:${secrets.secrets.MESSAGE_SECRET_KEY},0:${secrets.secrets.LINK_SIGNING_SECRET}`,
          }),
      SMTP_HOST: mail.smtpHost,
      SMTP_PORT: String(mail.smtpPort),
      SMTP_SECURE: 'false',
      DEFAULT_EMAIL_FROM: 'noreply@comms.localhost',
      DEFAULT_EMAIL_FROM_NAME: 'Clinic (local)',
      DEFAULT_SMS_FROM: 'Clinic',
      DEFAULT_VOICE_FROM: '+390200000000',
      TWILIO_ACCOUNT_SID: accountSid,
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_API_BASE_URL: twilio.url,
      // X4: the local stack may call back a booking system running on this machine.
      CALLBACK_ALLOW_LOOPBACK: 'true',
      ...userEnv,
    });
    const logger = pino(
      { level: config.LOG_LEVEL },
      pino.multistream([
        { level: config.LOG_LEVEL === 'silent' ? 'silent' : 'trace', stream: logFile('comms.log') },
        { level: 'warn', stream: process.stderr },
      ]),
    );

    // ---- Worker ----
    const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    stoppers.push({ name: 'Temporal client', stop: () => clientConnection.close() });
    const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, ...dataConverterOption(config.TEMPORAL_PAYLOAD_KEYS) });
    const workerControl = new AbortController();
    let workerStopping = false;
    const workerDone = runWorker({ config, orm, logger, signal: workerControl.signal });
    stoppers.push({
      name: 'worker',
      stop: async () => {
        workerStopping = true;
        workerControl.abort();
        await workerDone;
      },
    });
    const crashed = new Promise<never>((_, reject) => {
      workerDone.then(
        () => workerStopping || reject(new Error('the worker stopped on its own')),
        (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
      );
    });
    crashed.catch(() => undefined); // observed by the caller; never an unhandled rejection
    await step('worker', () => Promise.race([waitForPoller(client, config), crashed]));

    // ---- API ----
    // The production wiring (REST API, webhooks, links), served on loopback only.
    const app = await buildApi({ config, orm, client, logger });
    const relay = await startOutboxRelay({ config, orm, client, logger });
    stoppers.push({ name: 'outbox relay', stop: () => relay.stop() });
    // Local stack only: what the Twilio test server received, since there is no Twilio console.
    app.get('/dev/twilio', (c) => c.json({ messages: twilio.messages, calls: twilio.calls, callbacks: twilio.callbacks }));
    const server = await step('API', () => listen(app.fetch, apiPort));
    stoppers.push({ name: 'API', stop: () => new Promise<void>((done) => server.close(() => done())) });

    const api = `http://${HOST}:${apiPort}`;
    return {
      config,
      dataDir,
      urls: {
        api,
        docs: `${api}/docs`,
        healthz: `${api}/healthz`,
        temporalAddress: config.TEMPORAL_ADDRESS,
        temporalNamespace: config.TEMPORAL_NAMESPACE,
        temporalUi,
        mailUi: mail.webUrl,
        mailApi: `${mail.apiUrl}/email`,
        twilio: twilio.url,
        twilioRecorded: `${api}/dev/twilio`,
        postgres: withoutPassword(config.DATABASE_URL),
      },
      postgres: { embedded: postgresDataDir !== null, dataDir: postgresDataDir },
      secrets: { file: secretsFile, created: secrets.created, values: { ...secrets.secrets, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken } },
      demo,
      logDir,
      crashed,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * `.data/postgres`, unless PostgreSQL could not reach it: as root the server runs as user
 * `postgres`, which must be able to enter every parent folder (a clone under /root cannot). Then
 * a folder under /var/tmp keyed by the repository path keeps the data between runs instead.
 */
export function postgresDataDirFor(dataDir: string, rootDir: string): string {
  const preferred = join(dataDir, 'postgres');
  if (process.getuid?.() !== 0 || closedParent(dataDir) === null) return preferred;
  const key = createHash('sha256').update(resolve(rootDir)).digest('hex').slice(0, 10);
  const fallback = join('/var/tmp', `clinic-comms-${key}`);
  mkdirSync(fallback, { recursive: true, mode: 0o755 });
  chmodSync(fallback, 0o755);
  return join(fallback, 'postgres');
}

async function waitForPoller(client: Client, config: Config): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const queue = await client.workflowService.describeTaskQueue({
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
    });
    if ((queue.pollers?.length ?? 0) > 0) return;
    await sleep(250);
  }
  throw new Error(`no worker polled ${config.TEMPORAL_TASK_QUEUE} within 2 minutes`);
}

function listen(fetch: (request: Request) => Response | Promise<Response>, port: number): Promise<ServerType> {
  return new Promise((done, fail) => {
    const server = serve({ fetch, port, hostname: HOST }, () => done(server));
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EADDRINUSE' ? new Error(`API port ${HOST}:${port} is already in use (set API_PORT)`) : err),
    );
  });
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}

