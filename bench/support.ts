/**
 * Shared parts of the benchmarks: a throw-away stack (embedded PostgreSQL, Temporal dev server,
 * an SMTP sink, the Twilio test server), the production worker (`src/worker.ts`) in a child
 * process, bulk fixtures, small statistics and the result file. Nothing here asserts timing:
 * benchmarks measure and print; bench/README.md holds the numbers.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { SMTPServer } from 'smtp-server';
import { topUp } from '../src/db/credits.js';
import { Appointment, Center, EventSetting, Location, Patient, Resource, Service } from '../src/db/entities/index.js';
import { migrateUp, openOrm, type MikroORM } from '../src/db/orm.js';
import { freePort } from '../src/dev/ports.js';
import { startLocalPostgres, type LocalPostgres } from '../src/dev/postgres.js';
import { temporalBinaries } from '../src/dev/temporal-binaries.js';
import { clusterPaths, startTemporalCluster } from '../src/dev/temporal-cluster.js';
import { registerSearchAttributes } from '../src/engine/register-search-attributes.js';
import { startTwilioTestServer, type TwilioTestServer } from '../src/dev/twilio-server.js';
import type { Channel, EventKind } from '../src/domain/events.js';
import type { AppointmentSnapshot, Engine } from '../src/engine/port.js';
import { snapshotOf } from '../src/engine/snapshot.js';
import { createTemporalEngine } from '../src/engine/temporal-engine.js';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(benchDir, '..');

export const TWILIO_SID = `AC${'2'.repeat(32)}`;
export const TWILIO_TOKEN = 'bench-auth-token-0123456789';
const LINK_SECRET = 'bench-link-secret-0123456789abcdef0123';

// ---------------------------------------------------------------------------------------------
// Parameters and progress
// ---------------------------------------------------------------------------------------------

/** A positive whole number from the environment, or the default; a bad value names the variable. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}: must be a whole number > 0 (got ${JSON.stringify(raw)})`);
  return value;
}

export type Log = (message: string) => void;

/** Progress lines `[name +12.3s] …` on stdout; the last stdout line of a run is the result JSON. */
export function createLog(name: string): Log {
  const started = performance.now();
  return (message) => console.log(`[${name} +${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items` with at most `concurrency` in flight; reports every `every` done. */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  onProgress?: (done: number) => void,
  every = 500,
): Promise<void> {
  let next = 0;
  let done = 0;
  const lane = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      await work(items[index]!, index);
      done += 1;
      if (onProgress && done % every === 0) onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

// ---------------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------------

export interface SinkMail {
  /** Arrival (end of DATA), epoch ms. */
  at: number;
  /** The message row id, from `Message-ID: <id@domain>` (the email channel sets it so). */
  messageId: string | null;
  to: string[];
}

export interface SmtpSink {
  host: string;
  port: number;
  mails: SinkMail[];
  /** Resolves once `accept(mails)` holds, or with false after `timeoutMs`. */
  waitUntil(accept: (mails: SinkMail[]) => boolean, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * A light SMTP sink: takes every mail, keeps only arrival time, Message-ID and recipients (no
 * MIME parsing, so the measuring side costs little CPU next to the system under test).
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: SinkMail[] = [];
  let waiters: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 200,
    onData(stream, session, callback) {
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 8192) head += chunk.toString('utf8');
      });
      stream.on('end', () => {
        const id = /^Message-ID:\s*<([^@>\s]+)@/im.exec(head)?.[1] ?? null;
        mails.push({ at: Date.now(), messageId: id, to: session.envelope.rcptTo.map((r) => r.address) });
        const current = waiters;
        waiters = [];
        for (const wake of current) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    mails,
    async waitUntil(accept, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!accept(mails)) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 1000));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return true;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface BenchTemporal {
  address: string;
  uiUrl: string;
  /** `in-memory SQLite` (default) or `SQLite file` (BENCH_TEMPORAL_DB=file). */
  store: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `temporal server start-dev` (real time) on free ports, with the custom search attributes
 * registered. In-memory SQLite by default: the file store fsyncs every write and caps the whole
 * server near 100 workflow starts/s on these 2 cores, which would measure the disk rather than
 * this project (a production Temporal runs on PostgreSQL/Cassandra, elsewhere).
 */
async function startTemporal(dataDir: string, log: Log): Promise<BenchTemporal> {
  mkdirSync(dataDir, { recursive: true });
  const mode = process.env.BENCH_TEMPORAL_DB ?? 'memory';
  if (mode !== 'memory' && mode !== 'file') throw new Error(`BENCH_TEMPORAL_DB: must be memory, file or cluster (got ${JSON.stringify(mode)})`);
  const [port, uiPort] = [await freePort(), await freePort()];
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--log-level', 'warn'];
  if (mode === 'file') args.push('--db-filename', join(dataDir, 'temporal.db'));
  const child = spawn(temporalBinaries().cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const recent: string[] = [];
  /** The first lines of a Go panic or fatal error: the reason, which the last lines miss. */
  const fatal: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = chunk.toString('utf8').split('\n').filter(Boolean);
    for (const line of lines) if (fatal.length > 0 ? fatal.length < 12 : /^(panic|fatal error)/.test(line)) fatal.push(line);
    recent.push(...lines);
    recent.splice(0, Math.max(0, recent.length - 20));
  });
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A server that dies under load would otherwise show only as the worker's connection errors.
  child.once('exit', (code, signal) => {
    if (!stopping) log(`Temporal dev server exited unexpectedly (code ${code}, signal ${signal}): ${fatal.length ? fatal.join('\n') : recent.join('\n')}`);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    stopping = true;
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    if ((await Promise.race([exited.then(() => 'done'), sleep(15_000).then(() => 'timeout')])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        await registerSearchAttributes(connection);
      } finally {
        await connection.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) {
        await stop();
        throw new Error(`Temporal dev server did not start: ${String(err)}\n${recent.join('\n')}`, { cause: err });
      }
      await sleep(250);
    }
  }
  log(`Temporal dev server pid ${child.pid}`);
  return { address, uiUrl: `http://127.0.0.1:${uiPort}`, store: mode === 'memory' ? 'in-memory SQLite' : 'SQLite file', pid: child.pid ?? 0, stop };
}

/**
 * BENCH_TEMPORAL_DB=cluster: the real Temporal server (src/dev/temporal-cluster.ts, built by
 * scripts/setup-temporal-cluster.mjs) with persistence and visibility on the bench's PostgreSQL.
 */
async function startClusterTemporal(postgresUrl: string, dataDir: string, log: Log): Promise<BenchTemporal> {
  const cluster = await startTemporalCluster({ databaseUrl: postgresUrl, dataDir, uiPort: null, onProgress: (step) => log(`cluster: ${step}`) });
  log(`Temporal cluster pid ${cluster.pid}`);
  return { address: cluster.address, uiUrl: '(none)', store: `Temporal server v${clusterPaths().version} on PostgreSQL`, pid: cluster.pid, stop: cluster.stop };
}

/** BENCH_WORKERS=2: that many worker processes on the same task queues (default 1). */
export const benchWorkers = envInt('BENCH_WORKERS', 1);

/** Result file suffix of a cluster or multi-worker run, so it does not overwrite the default run's. */
export const resultSuffix = () => `${process.env.BENCH_TEMPORAL_DB === 'cluster' ? '-cluster' : ''}${benchWorkers > 1 ? `-${benchWorkers}w` : ''}`;

/** The workers beyond the first (BENCH_WORKERS − 1), same options; stop them with the first. */
export async function startExtraWorkers(infra: Infra, log: Log, options: Parameters<typeof startWorkerProcess>[2] = {}): Promise<WorkerProcess[]> {
  return Promise.all(Array.from({ length: Math.max(0, benchWorkers - 1) }, () => startWorkerProcess(infra, log, options)));
}

export interface Infra {
  root: string;
  /** The PostgreSQL postmaster (its backends are its children). */
  postgresPid: number;
  databaseUrl: string;
  orm: MikroORM;
  temporal: BenchTemporal;
  connection: Connection;
  client: Client;
  smtp: SmtpSink;
  twilio: TwilioTestServer;
  taskQueue: string;
  /** The production engine (signal-with-start per appointment) on this stack. */
  engine: Engine;
  /** Environment for `src/worker.ts` (and `src/server.ts`) pointing at this stack. */
  workerEnv(phoneMessagesPerSecond: number): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Everything in a fresh temp folder: embedded PostgreSQL (migrated `bench` database), the
 * Temporal dev server (real time, SQLite file, search attributes registered), an SMTP sink and
 * the Twilio test server. `stop()` stops them in reverse order and deletes the folder.
 */
export async function startInfra(log: Log, options: { poolMax?: number } = {}): Promise<Infra> {
  const root = mkdtempSync(join(os.tmpdir(), 'comms-bench-'));
  const stack: (() => Promise<void>)[] = [async () => rmSync(root, { recursive: true, force: true })];
  const stop = async () => {
    for (const step of stack.reverse().splice(0)) {
      try {
        await step();
      } catch (err) {
        log(`cleanup step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  try {
    // Its own temp folder: as root, PostgreSQL runs as user postgres, which cannot enter `root` (0700).
    const pgDir = mkdtempSync(join(os.tmpdir(), 'comms-bench-pg-'));
    stack.push(async () => rmSync(pgDir, { recursive: true, force: true }));
    const pg: LocalPostgres = await startLocalPostgres({ dataDir: pgDir, port: await freePort() });
    stack.push(() => pg.stop());
    const databaseUrl = await pg.createDatabase('bench');
    const postgresPid = Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const orm = await openOrm(databaseUrl, options.poolMax ? { poolMax: options.poolMax } : undefined);
    stack.push(() => orm.close());
    await migrateUp(orm);
    log(`PostgreSQL ready (${pgDir})`);

    const temporal = process.env.BENCH_TEMPORAL_DB === 'cluster' ? await startClusterTemporal(pg.url, join(root, 'temporal'), log) : await startTemporal(join(root, 'temporal'), log);
    stack.push(() => temporal.stop());
    const connection = await Connection.connect({ address: temporal.address });
    stack.push(() => connection.close());
    const client = new Client({ connection });
    log(`Temporal ready (${temporal.address}, ${temporal.store}, UI ${temporal.uiUrl})`);

    const smtp = await startSmtpSink();
    stack.push(() => smtp.stop());
    // Status callbacks are not what is measured: post them rarely, to a closed port.
    const twilio = await startTwilioTestServer({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, statusCallbackDelayMs: 60_000 });
    stack.push(() => twilio.stop());

    const taskQueue = `bench-${Date.now().toString(36)}`;
    const engine = createTemporalEngine({ client, taskQueue, orm });
    const workerEnv = (phoneMessagesPerSecond: number): Record<string, string> => ({
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
      PHONE_MESSAGES_PER_SECOND: String(phoneMessagesPerSecond),
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
      PLATFORM_API_KEY: 'bench-platform-key-0123456789abcdef',
      LINK_SIGNING_SECRET: LINK_SECRET,
      SMTP_HOST: smtp.host,
      SMTP_PORT: String(smtp.port),
      SMTP_SECURE: 'false',
      DEFAULT_EMAIL_FROM: 'no-reply@clinic.test',
      DEFAULT_SMS_FROM: '+390200000000',
      DEFAULT_VOICE_FROM: '+390200000001',
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_API_BASE_URL: twilio.url,
    });
    return { root, postgresPid, databaseUrl, orm, temporal, connection, client, smtp, twilio, taskQueue, engine, workerEnv, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Stops `cleanup` once, on success, failure or Ctrl-C. */
export async function withInfra<T>(log: Log, options: { poolMax?: number }, run: (infra: Infra) => Promise<T>): Promise<T> {
  const infra = await startInfra(log, options);
  const onSignal = () => {
    log('interrupted: stopping the stack');
    void infra.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  try {
    return await run(infra);
  } finally {
    process.removeListener('SIGINT', onSignal);
    log('stopping the stack');
    await infra.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// The production worker in a child process
// ---------------------------------------------------------------------------------------------

export interface MemorySample {
  at: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export interface WorkerProcess {
  pid: number;
  memory: MemorySample[];
  stop(): Promise<void>;
}

/**
 * `node --import tsx src/worker.ts`, exactly what `npm run worker` runs, with a preloaded probe
 * that prints its memory every `memoryIntervalMs`. Resolves once the worker logs that it runs
 * (or, with `script` and `readyLog`, once that script logs `readyLog`: `src/server.ts` says "API listening").
 */
export async function startWorkerProcess(
  infra: Infra,
  log: Log,
  options: { phoneMessagesPerSecond?: number; memoryIntervalMs?: number; env?: Record<string, string>; script?: string; readyLog?: string } = {},
): Promise<WorkerProcess> {
  const probe = pathToFileURL(join(benchDir, 'memory-probe.mjs')).href;
  // BENCH_WORKER_CPU_PROF=<dir>: the worker writes V8 CPU profiles there when it stops.
  const profile = process.env.BENCH_WORKER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_WORKER_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', '--import', probe, options.script ?? join(repoRoot, 'src', 'worker.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...infra.workerEnv(options.phoneMessagesPerSecond ?? 1000),
      BENCH_MEMORY_INTERVAL_MS: String(options.memoryIntervalMs ?? 2000),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start the worker process');
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const memory: MemorySample[] = [];
  const recent: string[] = [];
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const onLine = (line: string) => {
    if (!line.trim()) return;
    if (line.startsWith('BENCH_MEMORY ')) {
      memory.push(JSON.parse(line.slice('BENCH_MEMORY '.length)) as MemorySample);
      return;
    }
    recent.push(line);
    if (recent.length > 40) recent.shift();
    if (line.includes(`"${options.readyLog ?? 'worker running'}"`)) ready();
    else if (/"level":(40|50|60)/.test(line) || /\b(WARN|ERROR)\b/.test(line)) log(`worker: ${line.slice(0, 400)}`);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      lines.forEach(onLine);
    });
  }
  const started = await Promise.race([isReady.then(() => true), exited.then(() => false), sleep(120_000).then(() => false)]);
  if (!started) {
    child.kill('SIGKILL');
    throw new Error(`worker process did not start; last output:\n${recent.slice(-15).join('\n')}`);
  }
  log(`worker process ${child.pid} running (${options.script ? options.script.replace(`${repoRoot}/`, '') : 'src/worker.ts'})`);
  return {
    pid: child.pid,
    memory,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures (bulk, straight into the database as the booking system's pushes would leave them)
// ---------------------------------------------------------------------------------------------

export interface CenterFixture {
  center: Center;
  resource: Resource;
  service: Service;
  location: Location;
}

/** A center with credits, one resource, one service and one location. */
export async function createCenter(orm: MikroORM, input: { name: string; credits: number; center?: Partial<Center> }): Promise<CenterFixture> {
  const em = orm.em.fork();
  const center = em.create(Center, { name: input.name, phone: '+390612345678', adminEmails: ['admin@clinic.test'], ...input.center });
  const resource = em.create(Resource, { centerId: center.id, externalId: 'r-1', name: 'Dott. Rossi', email: 'rossi@clinic.test' });
  const service = em.create(Service, { centerId: center.id, externalId: 's-1', name: 'Visita', price: '80.00', durationMinutes: 30 });
  const location = em.create(Location, { centerId: center.id, externalId: 'l-1', site: 'Sede Centro', notes: 'Registrarsi in accettazione' });
  await em.flush();
  if (input.credits > 0) await topUp(em, { centerId: center.id, amount: input.credits, note: 'bench' });
  return { center, resource, service, location };
}

export async function setEvent(orm: MikroORM, centerId: string, eventKind: EventKind, channels: Channel[], options: Record<string, unknown> = {}) {
  const em = orm.em.fork();
  const row = (await em.findOne(EventSetting, { centerId, eventKind })) ?? em.create(EventSetting, { centerId, eventKind, channels, options });
  Object.assign(row, { channels, options });
  await em.flush();
}

/** `n` patients with consent and contacts numbered by `i` (unique email and mobile each). */
export async function createPatients(orm: MikroORM, centerId: string, n: number, tag: string): Promise<Patient[]> {
  const all: Patient[] = [];
  for (let from = 0; from < n; from += 1000) {
    const em = orm.em.fork();
    for (let i = from; i < Math.min(n, from + 1000); i++) {
      all.push(
        em.create(Patient, {
          centerId,
          externalId: `${tag}-p${i}`,
          firstName: `Paziente${i}`,
          lastName: 'Bench',
          email: `p${i}.${tag}@example.com`,
          mobile: `+39333${String(i).padStart(7, '0')}`,
          privacyConsent: true,
        }),
      );
    }
    await em.flush();
  }
  return all;
}

/** Appointment rows (one per patient) booked `bookedAt`; returns their engine snapshots. */
export async function createAppointments(
  orm: MikroORM,
  f: CenterFixture,
  items: { patient: Patient; startAt: Date; durationMin?: number }[],
  bookedAt: Date,
): Promise<AppointmentSnapshot[]> {
  const snapshots: AppointmentSnapshot[] = [];
  for (let from = 0; from < items.length; from += 1000) {
    const em = orm.em.fork();
    const rows = items.slice(from, from + 1000).map((item) =>
      em.create(Appointment, {
        centerId: f.center.id,
        externalId: `a-${randomUUID()}`,
        patientId: item.patient.id,
        resourceId: f.resource.id,
        serviceId: f.service.id,
        locationId: f.location.id,
        startAt: item.startAt,
        endAt: new Date(item.startAt.getTime() + (item.durationMin ?? 30) * 60_000),
        bookedAt,
        revision: 1,
      }),
    );
    await em.flush();
    snapshots.push(...rows.map((row, i) => snapshotOf(row, { patient: items[from + i]!.patient.externalId, resource: f.resource.externalId })));
  }
  return snapshots;
}

/** signal-with-start of every snapshot through the engine; returns starts per second. */
export async function bookAll(engine: Engine, snapshots: AppointmentSnapshot[], concurrency: number, log: Log): Promise<{ seconds: number; perSecond: number }> {
  const started = performance.now();
  await runPool(snapshots, concurrency, (s) => engine.appointmentChanged(s), (done) => log(`  booked ${done}/${snapshots.length}`), Math.max(100, Math.round(snapshots.length / 10)));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, perSecond: snapshots.length / seconds };
}

/** Polls a visibility count until it reaches `expected` (workflows that planned and went to sleep). */
export async function waitForCount(
  client: Client,
  query: string,
  expected: number,
  timeoutMs: number,
  log: Log,
  /** Count every `pollMs` (a count over 100 000 workflows is not free); `detail` adds to each progress line. */
  options: { pollMs?: number; detail?: () => string } = {},
): Promise<number> {
  const { pollMs = 1000, detail } = options;
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let lastLog = 0;
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count >= expected) return count;
    if (Date.now() > deadline) {
      log(`  gave up waiting: ${count}/${expected} for ${query}`);
      return count;
    }
    if (count !== last && Date.now() - lastLog > 5000) {
      log(`  ${count}/${expected} workflows settled${detail ? `; ${detail()}` : ''}`);
      lastLog = Date.now();
    }
    last = count;
    await sleep(pollMs);
  }
}

/** Workflows that planned once and are asleep (`AppointmentStatus` is upserted after planning). */
export const settledQuery = (centerIds: string[]) =>
  `WorkflowType = 'appointmentWorkflow' AND AppointmentStatus = 'booked' AND CenterId IN (${centerIds.map((c) => `'${c}'`).join(', ')})`;

// ---------------------------------------------------------------------------------------------
// Where the time went
// ---------------------------------------------------------------------------------------------

/**
 * Per message, when each saga step left its mark in the database, in ms after `t0`: the row
 * inserted by prepareMessages (`created_at`), the debit ledger row, the `sending` event (the
 * send activity claimed it), `sent_at` (provider accepted). Distributions of each, and of the
 * gaps between them, tell which step queues.
 */
export async function sagaBreakdown(orm: MikroORM, where: { centerIds: string[]; eventKind: string; sinceMs: number }, t0: number) {
  const rows = await orm.em.fork().getConnection().execute<{ created: Date; debited: Date | null; sending: Date | null; sent: Date | null }[]>(
    `select m.created_at as created,
            (select min(l.created_at) from credit_ledger l where l.message_id = m.id and l.kind = 'debit') as debited,
            (select min(e.created_at) from message_events e where e.message_id = m.id and e.status = 'sending') as sending,
            m.sent_at as sent
       from messages m
      where m.center_id in (${where.centerIds.map(() => '?').join(', ')}) and m.event_kind = ? and m.created_at >= ?`,
    [...where.centerIds, where.eventKind, new Date(where.sinceMs)],
  );
  const at = (d: Date | null) => (d ? new Date(d).getTime() - t0 : null);
  const pick = (f: (r: (typeof rows)[number]) => number | null) => summarize(rows.map(f).filter((v): v is number => v !== null));
  const gap = (a: Date | null, b: Date | null) => (a && b ? new Date(b).getTime() - new Date(a).getTime() : null);
  return {
    messages: rows.length,
    afterStartMs: {
      prepared: pick((r) => at(r.created)),
      debited: pick((r) => at(r.debited)),
      claimedForSending: pick((r) => at(r.sending)),
      sent: pick((r) => at(r.sent)),
    },
    stepMs: {
      prepareToDebit: pick((r) => gap(r.created, r.debited)),
      debitToSendClaim: pick((r) => gap(r.debited, r.sending)),
      sendClaimToSent: pick((r) => gap(r.sending, r.sent)),
    },
  };
}

/** Start and end (ms after `t0`) of each activity of one workflow run, from its history. */
export async function activitySpans(client: Client, workflowId: string, t0: number): Promise<{ activity: string; startedMs: number | null; closedMs: number | null }[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, { activity: string; startedMs: number | null; closedMs: number | null }>();
  const ms = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined) => (ts ? tsToMs(ts as Parameters<typeof tsToMs>[0]) - t0 : null);
  for (const event of history.events ?? []) {
    const id = String(event.eventId);
    if (event.activityTaskScheduledEventAttributes) {
      scheduled.set(id, { activity: event.activityTaskScheduledEventAttributes.activityType?.name ?? '?', startedMs: null, closedMs: null });
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const span = scheduled.get(String(started.scheduledEventId));
      if (span) span.startedMs = ms(event.eventTime);
    }
    const closed = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
    if (closed) {
      const span = scheduled.get(String(closed.scheduledEventId));
      if (span) span.closedMs = ms(event.eventTime);
    }
  }
  return [...scheduled.values()];
}

/** Number of events in the history of a workflow's current run (the bar: ≤ 100 for a typical appointment). */
export async function historyLength(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

// ---------------------------------------------------------------------------------------------
// CPU per process tree (from /proc; Linux only)
// ---------------------------------------------------------------------------------------------

const CLOCK_TICKS = 100;

/** utime + stime (+ reaped children) of `root` and all its live descendants, in seconds. */
function treeCpuSeconds(root: number): number {
  const parentOf = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After "(comm) ": state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based from pid.
      parentOf.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
    } catch {
      // The process ended while we read: its time is in its parent's cutime soon enough.
    }
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parentOf.get(p)) {
      if (p === root) {
        total += t;
        break;
      }
    }
  }
  return total / CLOCK_TICKS;
}

export type CpuGroups = Record<string, number>;

/** CPU seconds of named process trees now; `cpuPercent(a, b, seconds)` turns two marks into % of one core. */
export function cpuMark(groups: CpuGroups): Record<string, number> {
  const self = () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1e6;
  };
  // This process's own time only: the stack's servers and the worker are its children.
  return Object.fromEntries(Object.entries(groups).map(([name, pid]) => [name, pid === process.pid ? self() : treeCpuSeconds(pid)]));
}

/** The processes of a run: this one (load generator, SMTP sink, Twilio server), PostgreSQL, Temporal, and the worker if any. */
export function cpuGroups(infra: Infra, workerPid?: number): CpuGroups {
  return { bench: process.pid, postgres: infra.postgresPid, temporal: infra.temporal.pid, ...(workerPid ? { worker: workerPid } : {}) };
}

export function cpuPercent(from: Record<string, number>, to: Record<string, number>, seconds: number): Record<string, number> {
  return Object.fromEntries(Object.keys(to).map((name) => [name, Math.round((((to[name] ?? 0) - (from[name] ?? 0)) / seconds) * 100)]));
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

/** Nearest-rank percentile of already sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number | null) => (v === null ? null : Math.round(v));
  return {
    count: sorted.length,
    min: round(sorted[0] ?? null),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? null),
  };
}

function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const result = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) result[order[k]![1]] = (i + j) / 2 + 1; // ties share the mean rank
    i = j + 1;
  }
  return result;
}

/** Spearman's rank correlation (Pearson on ranks): 1 = same order, 0 = unrelated. */
export function spearman(a: readonly number[], b: readonly number[]): number | null {
  if (a.length !== b.length || a.length < 2) return null;
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    const x = ra[i]! - mean;
    const y = rb[i]! - mean;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da === 0 || db === 0 ? null : num / Math.sqrt(da * db);
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const loadAtStart = os.loadavg();

/** Date, machine, commit, and the load average (other processes on the 2 cores skew every number). */
export function runContext() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()}`,
      node: process.version,
    },
    commit: git(['rev-parse', '--short', 'HEAD']),
    // Uncommitted changes under src/ mean the numbers are for a tree a bit past `commit`.
    srcDirty: git(['status', '--porcelain', '--', 'src']) !== '',
    loadAverage1m: { atStart: Number(loadAtStart[0]!.toFixed(2)), atEnd: Number(os.loadavg()[0]!.toFixed(2)) },
  };
}

/** Writes bench/results/<name>.json and prints the record as the run's last stdout line. */
export function finish(name: string, record: { params: Record<string, unknown>; results: Record<string, unknown>; bars?: Record<string, unknown>; notes?: string[] }) {
  const full = { benchmark: name, ...runContext(), ...record };
  const dir = join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(full, null, 2)}\n`);
  console.log(JSON.stringify(full));
}
