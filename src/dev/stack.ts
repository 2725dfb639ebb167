/**
 * The one-command local stack behind `npm start`: embedded PostgreSQL (unless DATABASE_URL), the
 * Temporal dev server (unless TEMPORAL_ADDRESS or a caller's Temporal), migrations, the demo
 * center, the mail catcher and the Twilio test server in this process (the services), then the
 * worker and the API as supervised child processes (src/dev/supervisor.ts), restarted when they
 * crash. The environment the children get is written to `.local/stack.env` so that more workers
 * or APIs can join from another terminal. Data under `.data/`. Printing and signal handling live
 * in src/dev.ts; this module starts and stops. Each piece is exported for `npm run stack:cluster`,
 * which brings its own Temporal.
 */
import { Connection } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { chmodSync, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ConfigError, configSchema, loadConfig, type Config } from '../config.js';
import { migrateUp, openOrm } from '../db/orm.js';
import { seedDemoCenter, type DemoSeed } from '../db/seed.js';
import { demoConsoleLink } from '../api/routes/console-links.js';
import { registerSearchAttributes } from '../engine/register-search-attributes.js';
import { removeStackEnv, stackEnvFile, writeStackEnv } from './stack-env.js';
import { superviseChild, type ChildEvent, type SupervisedChild } from './supervisor.js';
import { loadOrCreateLocalSecrets, type LocalSecrets } from './local-secrets.js';
import { startMailCatcher } from './mail-catcher.js';
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

/** A Temporal server the caller runs (e.g. a cluster): the stack starts no dev server then. */
export interface TemporalEndpoint {
  address: string;
  /** Its Web UI, if any. */
  uiUrl: string | null;
}

export interface LocalStackOptions {
  /** The repository root; data goes to `{rootDir}/.data` unless LOCAL_DATA_DIR says otherwise. */
  rootDir: string;
  /** Usually process.env: config keys set here override the local values. */
  env: Record<string, string | undefined>;
  /** Make new demo API keys (the previous ones are revoked). */
  freshKeys?: boolean;
  /** Use this Temporal instead of TEMPORAL_ADDRESS or the dev server (its search attributes are registered). */
  temporal?: TemporalEndpoint;
  onProgress?: (event: StackProgress) => void;
  /** The supervisor's news about the worker and API processes (started, exited, restarting, warnings). */
  onChild?: (event: ChildEvent) => void;
}

/** Everything but the worker and the API: what they connect to, and the environment that says where. */
export interface LocalServices {
  config: Config;
  /** The worker's and the API's environment: config keys only, as written to `.local/stack.env`. */
  env: Record<string, string>;
  dataDir: string;
  logDir: string;
  urls: {
    temporalAddress: string;
    temporalNamespace: string;
    /** null when Temporal is external and its UI unknown. */
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
  /** #14: a single-use console link for the demo center, valid 10 minutes. */
  consoleLink: string;
  /** Stops everything in reverse order of start. Safe to call twice. */
  stop(): Promise<void>;
}

export interface LocalStack extends Omit<LocalServices, 'urls'> {
  urls: LocalServices['urls'] & { api: string; docs: string; healthz: string };
  /** `.local/stack.env`, removed by stop(). */
  envFile: string;
  worker: SupervisedChild;
  api: SupervisedChild;
}

/** The whole local stack: services, the environment file, then the supervised worker and API. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const services = await startLocalServices(options);
  const envFile = stackEnvFile(options.rootDir);
  const stopParts: (() => Promise<void>)[] = [() => services.stop()];
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      removeStackEnv(envFile);
      for (const part of stopParts.reverse()) await part();
    })();
    return stopping;
  };
  try {
    writeStackEnv(envFile, { ...services.env, LOCAL_STACK_PID: String(process.pid) }, 'written by `npm start` for `npm run worker` / `npm run api`; removed when it stops');
    const processes = startApp({ ...services, rootDir: options.rootDir, onChild: options.onChild, onProgress: options.onProgress, stopParts });
    await processes.ready;
    const api = `http://${services.config.API_HOST}:${services.config.API_PORT}`;
    return {
      ...services,
      urls: { ...services.urls, api, docs: `${api}/docs`, healthz: `${api}/healthz` },
      envFile,
      worker: processes.worker,
      api: processes.api,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `tsx src/dev/join.ts worker|api`: the command of `npm run worker` / `npm run api`. */
export function joinCommand(role: 'worker' | 'api'): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./join.ts', import.meta.url)), role] };
}

/**
 * The worker, then the API, as supervised child processes with `env`; ready when the worker polls
 * the task queue and the API answers /healthz. A child that dies before it is ready fails the start.
 */
export function startApp(input: {
  rootDir: string;
  config: Config;
  env: Record<string, string>;
  logDir: string;
  onChild?: (event: ChildEvent) => void;
  onProgress?: (event: StackProgress) => void;
  /** Where to register the children's stop functions (called in reverse order). */
  stopParts: (() => Promise<void>)[];
}): { worker: SupervisedChild; api: SupervisedChild; ready: Promise<void> } {
  const { config } = input;
  const spawnRole = (role: 'worker' | 'api') => {
    const child = superviseChild({
      name: role,
      ...joinCommand(role),
      cwd: input.rootDir,
      // The children's own environment is exactly the stack's (plus PATH and HOME for their tools).
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...input.env },
      logFile: join(input.logDir, `${role}.log`),
      onEvent: input.onChild,
    });
    input.stopParts.push(() => child.stop());
    return child;
  };
  const readyBefore = async (child: SupervisedChild, step: string, isReady: () => Promise<boolean>) => {
    input.onProgress?.({ phase: 'start', step });
    const started = performance.now();
    const died = child.exited().then(() => {
      throw new Error(`the ${child.name} exited while starting; see ${join(input.logDir, `${child.name}.log`)}`);
    });
    died.catch(() => undefined);
    const deadline = Date.now() + 180_000;
    const poll = (async () => {
      while (!(await isReady().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`the ${child.name} was not ready within 3 minutes; see ${join(input.logDir, `${child.name}.log`)}`);
        await sleep(250);
      }
    })();
    await Promise.race([poll, died]);
    input.onProgress?.({ phase: 'done', step, ms: Math.round(performance.now() - started), note: `pid ${child.pid}` });
  };

  const worker = spawnRole('worker');
  let api: SupervisedChild | undefined;
  const ready = (async () => {
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    try {
      await readyBefore(worker, 'worker (child process)', async () => (await taskQueuePollers(connection, config)).length > 0);
    } finally {
      await connection.close();
    }
    api = spawnRole('api');
    const healthz = `http://${config.API_HOST}:${config.API_PORT}/healthz`;
    await readyBefore(api, 'API (child process)', async () => (await fetch(healthz)).ok);
  })();
  return {
    worker,
    get api() {
      if (!api) throw new Error('the API starts after the worker is ready');
      return api;
    },
    ready,
  };
}

/** The identities (`pid@host`) polling the main task queue: the workers that are there. */
export async function taskQueuePollers(connection: Connection, config: Pick<Config, 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE'>): Promise<string[]> {
  const queue = await connection.workflowService.describeTaskQueue({
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
  });
  return (queue.pollers ?? []).map((poller) => poller.identity ?? '');
}

/** PostgreSQL, migrations, the demo center, Temporal, the mail catcher and the Twilio test server. */
export async function startLocalServices(options: LocalStackOptions): Promise<LocalServices> {
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

    // The worker and the API open their own pools; this one only migrates and seeds.
    const orm = await openOrm(databaseUrl, { poolMax: 2 });
    let demo: DemoSeed;
    try {
      await step('migrations', () => migrateUp(orm), (applied) => (applied.length ? `applied ${applied.length}` : 'up to date'));
      demo = await step(
        'demo center',
        () => seedDemoCenter(orm.em.fork(), { freshKeys: options.freshKeys }),
        (d) => (d.created ? 'created' : d.keys ? 'new keys' : 'already there'),
      );
    } finally {
      await orm.close();
    }

    // ---- Temporal ----
    const namespace = userEnv.TEMPORAL_NAMESPACE ?? 'default';
    let temporal: TemporalEndpoint | undefined = options.temporal ?? (userEnv.TEMPORAL_ADDRESS ? { address: userEnv.TEMPORAL_ADDRESS, uiUrl: userEnv.TEMPORAL_UI_URL ?? null } : undefined);
    if (!temporal) {
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
      temporal = { address: server.address, uiUrl: server.uiUrl };
    } else {
      const { address } = temporal;
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
    const mail = await step('mail catcher', () =>
      startMailCatcher({ smtpPort: local.LOCAL_SMTP_PORT, webPort: local.LOCAL_MAIL_UI_PORT, host: HOST, mailDirectory: join(dataDir, 'mail') }),
    );
    stoppers.push({ name: 'mail catcher', stop: () => mail.stop() });

    const accountSid = userEnv.TWILIO_ACCOUNT_SID ?? secrets.secrets.TWILIO_ACCOUNT_SID;
    const authToken = userEnv.TWILIO_AUTH_TOKEN ?? secrets.secrets.TWILIO_AUTH_TOKEN;
    // Local stack only: what it received, since there is no Twilio console.
    const inspectPath = '/dev/twilio';
    const twilio = await step('Twilio test server', () => startTwilioTestServer({ accountSid, authToken, port: local.LOCAL_TWILIO_PORT, inspectPath }));
    stoppers.push({ name: 'Twilio test server', stop: () => twilio.stop() });

    // ---- Config: local values, overridden by whatever the environment sets ----
    const apiPort = Number(userEnv.API_PORT ?? 3000);
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      ...(temporal.uiUrl ? { TEMPORAL_UI_URL: temporal.uiUrl } : {}),
      API_HOST: HOST,
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
    };
    const config = loadConfig(env);
    const consoleLink = await step('console link', () => mintDemoConsoleLink(config, demo.centerId));

    return {
      config,
      env,
      dataDir,
      logDir,
      urls: {
        temporalAddress: config.TEMPORAL_ADDRESS,
        temporalNamespace: config.TEMPORAL_NAMESPACE,
        temporalUi: temporal.uiUrl,
        mailUi: mail.webUrl,
        mailApi: `${mail.apiUrl}/email`,
        twilio: twilio.url,
        twilioRecorded: `${twilio.url}${inspectPath}`,
        postgres: withoutPassword(config.DATABASE_URL),
      },
      postgres: { embedded: postgresDataDir !== null, dataDir: postgresDataDir },
      secrets: { file: secretsFile, created: secrets.created, values: { ...secrets.secrets, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken } },
      demo,
      consoleLink,
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

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}

/** #14: the demo center's single-use console link, minted once the public URL is known. */
async function mintDemoConsoleLink(config: Config, centerId: string): Promise<string> {
  const orm = await openOrm(config.DATABASE_URL, { poolMax: 1 });
  try {
    return (await demoConsoleLink(orm.em.fork(), config.PUBLIC_BASE_URL, centerId)).url;
  } finally {
    await orm.close();
  }
}
