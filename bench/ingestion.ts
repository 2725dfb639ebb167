/**
 * Ingestion bar: appointments per second through the API ≥ 80 % of the raw Temporal
 * workflow-start rate measured on the same server in the same run.
 *
 * Phases, each INGEST_N requests (default 1000) with INGEST_CONCURRENCY in flight (default 32):
 *   raw     `client.workflow.start` of a trivial workflow (no search attributes, no signal)
 *   engine  `engine.appointmentChanged` directly (signal-with-start, no search attributes: the
 *           workflow's first task sets them), for telling the API's own cost from the Temporal call
 *   start with attributes  the start the relay made until 2026-12-04 (the 5 search attributes at
 *           the start), for comparison with what it makes now
 *   api     `PUT /v1/appointments/{id}` through `createApp` (`app.request()`, no sockets): API
 *           key (cached after its first lookup), one statement reading the row and the 4
 *           directory references, one writing the row, its outbox row and NOTIFY (autocommit,
 *           src/db/appointment-statements.ts; concurrent PUTs share them); a pino logger at info
 *           writes to /dev/null as in production. The API answers before Temporal hears of
 *           it (#8), so the phase runs the outbox relay in this process, as every API process
 *           does (`src/engine/start-relay.ts`), and its clock stops when the outbox is empty:
 *           every accepted appointment's workflow started. The answer-only rate is reported too.
 *   bulk    the same appointments through `POST /v1/appointments:batch`, INGEST_BATCH per request
 *           (default 500), INGEST_BULK_CONCURRENCY requests in flight (default 2); the clock
 *           stops when the outbox is empty, as for api.
 * raw, api and bulk run twice, interleaved, after a warm-up. INGEST_DIAGNOSTICS=0 skips the
 * diagnostic phases and api+worker (for repeated runs of the ratios only). Their workflows go to task queues no
 * worker polls, so nothing else competes for the 2 cores. A last phase `api+worker` sends
 * INGEST_N more through the real task queue with the production worker (child process)
 * planning each appointment as it arrives, then waits for all of them to be asleep.
 *
 * The center sends no booking confirmations (appointment.created channels []) and the
 * appointments are 30 days ahead, so reminders only plan and sleep: what is measured is the
 * intake, not email. The API's per-key rate limit (default 50/s sustained) is raised for the
 * bench; with the default, one booking key could not go above 50/s.
 *
 * INGEST_RELAY_LANES / INGEST_RELAY_BATCH set the relay's lanes and batch (default: the relay's own, 4 × 32).
 * Each phase reports the CPU milliseconds per request of this process, PostgreSQL and Temporal.
 *
 *   npx tsx bench/ingestion.ts      INGEST_N=1000 INGEST_CONCURRENCY=32 INGEST_POOL_MAX=10 INGEST_BATCH=500
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { createApp } from '../src/api/app.js';
import { createApiKey } from '../src/db/api-keys.js';
import type { MikroORM } from '../src/db/orm.js';
import type { Engine } from '../src/engine/port.js';
import { outboxBacklog } from '../src/db/outbox.js';
import { createOutboxRelay, type OutboxRelay } from '../src/engine/outbox-relay.js';
import { createTemporalEngine } from '../src/engine/temporal-engine.js';
import { idAttributes } from '../src/workflows/booking-attributes.js';
import { AppointmentStart } from '../src/workflows/search-attributes.js';
import {
  createAppointments,
  createCenter,
  createLog,
  createPatients,
  cpuGroups,
  cpuMark,
  type CpuGroups,
  envInt,
  finish,
  runPool,
  settledQuery,
  setEvent,
  sleep,
  startWorkerProcess,
  summarize,
  waitForCount,
  withInfra,
} from './support.js';

const NAME = 'ingestion';
const BAR_RATIO = 0.8;
const log = createLog(NAME);
const n = envInt('INGEST_N', 1000);
const concurrency = envInt('INGEST_CONCURRENCY', 32);
const poolMax = envInt('INGEST_POOL_MAX', 10);
const batchSize = envInt('INGEST_BATCH', 500);
const bulkConcurrency = envInt('INGEST_BULK_CONCURRENCY', 2);
const diagnostics = process.env.INGEST_DIAGNOSTICS !== '0';
/** The relay's settings for the api and bulk phases (0: its defaults, as production runs it). */
const relayLanes = envInt('INGEST_RELAY_LANES', 0);
const relayBatch = envInt('INGEST_RELAY_BATCH', 0);
const DAY_MS = 24 * 3600_000;

interface Phase {
  phase: string;
  requests: number;
  seconds: number;
  perSecond: number;
  errors: number;
  latencyMs: ReturnType<typeof summarize>;
  /** CPU of this process (load generator + API + engine client) as % of one core. */
  benchProcessCpuPercent: number;
  /** SQL statements sent by this process per request (BEGIN/COMMIT included; with the relay's, where it runs). */
  sqlPerRequest: number;
  /** CPU milliseconds per request of this process, PostgreSQL and Temporal: where a booking's cost goes. */
  cpuMsPerRequest: Record<string, number>;
  /** API phases: when the last request was answered (the relay may still have been delivering). */
  answeredSeconds?: number;
  answeredPerSecond?: number;
}

/** Counts every statement MikroORM sends (bench instrumentation only, on the ORM's own connection). */
let sqlStatements = 0;
/** The process trees whose CPU each phase reports (set once the stack is up). */
let cpuOf: CpuGroups = {};
function countStatements(orm: MikroORM): void {
  const connection = orm.em.getConnection() as unknown as { executeQuery: (...args: unknown[]) => Promise<unknown> };
  const original = connection.executeQuery.bind(connection);
  connection.executeQuery = (...args: unknown[]) => {
    sqlStatements += 1;
    return original(...args);
  };
}

/**
 * Runs `call` n times, `concurrency` at once; returns the rate and latency distribution. With
 * `settle`, the clock runs until it resolves too (API phases: until the relay delivered all).
 */
async function measure(phase: string, count: number, call: (i: number) => Promise<boolean>, lanes = concurrency, settle?: () => Promise<void>): Promise<Phase> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const cpuAtStart = cpuMark(cpuOf);
  const statements = sqlStatements;
  await runPool(Array.from({ length: count }, (_, i) => i), lanes, async (i) => {
    const t = performance.now();
    const ok = await call(i);
    latencies.push(performance.now() - t);
    if (!ok) errors += 1;
  });
  const answeredSeconds = (performance.now() - started) / 1000;
  await settle?.();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuAtEnd = cpuMark(cpuOf);
  const result = {
    phase,
    requests: count,
    seconds: Number(seconds.toFixed(2)),
    perSecond: Number((count / seconds).toFixed(1)),
    errors,
    latencyMs: summarize(latencies),
    benchProcessCpuPercent: Math.round(((used.user + used.system) / 1e6 / seconds) * 100),
    sqlPerRequest: Number(((sqlStatements - statements) / count).toFixed(1)),
    cpuMsPerRequest: Object.fromEntries(Object.keys(cpuAtEnd).map((name) => [name, Number((((cpuAtEnd[name]! - cpuAtStart[name]!) * 1000) / count).toFixed(2))])),
    ...(settle ? { answeredSeconds: Number(answeredSeconds.toFixed(2)), answeredPerSecond: Number((count / answeredSeconds).toFixed(1)) } : {}),
  };
  log(
    `${phase}: ${count} in ${result.seconds} s = ${result.perSecond}/s${settle ? ` (all answered after ${answeredSeconds.toFixed(2)} s = ${result.answeredPerSecond}/s)` : ''} (p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ` +
      `errors ${errors}, this process ${result.benchProcessCpuPercent}% CPU, ${result.sqlPerRequest} SQL/request, CPU ms/request ${JSON.stringify(result.cpuMsPerRequest)})`,
  );
  return result;
}

await withInfra(log, { poolMax }, async (infra) => {
  const f = await createCenter(infra.orm, { name: 'Bench ingestion', credits: 1000 });
  const centerId = f.center.id;
  await setEvent(infra.orm, centerId, 'appointment.created', []);
  const patientCount = Math.min(n, 500);
  const patients = await createPatients(infra.orm, centerId, patientCount, 'ing');
  const { key } = await createApiKey(infra.orm.em.fork(), { centerId, scope: 'booking', name: 'bench' });

  countStatements(infra.orm);
  cpuOf = cpuGroups(infra);
  const appWith = (engine: Engine) =>
    createApp({
      orm: infra.orm,
      engine,
      config: { PLATFORM_API_KEY: 'bench-platform-key-0123456789abcdef', PUBLIC_BASE_URL: 'http://127.0.0.1:9' },
      logger: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })),
      rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
    });
  const parkedQueue = `${infra.taskQueue}-parked`;
  const parkedEngine = createTemporalEngine({ client: infra.client, taskQueue: parkedQueue, orm: infra.orm });
  // An engine that returns at once: the relay still claims and deletes, nothing reaches Temporal.
  const stubEngine: Engine = { ...parkedEngine, appointmentChanged: async () => undefined };
  // The API only writes the outbox (its engine answers queries); the relay decides where commands go.
  const app = appWith(parkedEngine);
  let relay = null as OutboxRelay | null;
  /** This process's outbox relay, as `src/server.ts` runs one, delivering to `engine` from now on. */
  const relayTo = async (engine: Engine, lanes = relayLanes) => {
    await relay?.stop();
    relay = createOutboxRelay({ orm: infra.orm, engine, ...(lanes ? { lanes } : {}), ...(relayBatch ? { batchSize: relayBatch } : {}) });
    await relay.start();
  };
  /** Resolves once the outbox is empty: every accepted command delivered (its workflow started). */
  const delivered = async () => {
    while ((await outboxBacklog(infra.orm.em.fork())).pending > 0) await sleep(20);
  };

  const base = Date.now() + 30 * DAY_MS;
  let booked = 0;
  /** Appointment `i`'s body, as the single PUT and the batch item carry it; each one at the next 15-minute slot. */
  const appointmentBody = (i: number) => {
    const startAt = new Date(base + (booked++ % 5000) * 15 * 60_000);
    return {
      revision: 1,
      patientId: `ing-p${i % patientCount}`,
      resourceId: 'r-1',
      serviceId: 's-1',
      locationId: 'l-1',
      startAt: startAt.toISOString(),
      endAt: new Date(startAt.getTime() + 30 * 60_000).toISOString(),
    };
  };
  const put = (tag: string) => async (i: number) => {
    const res = await app.request(`/v1/appointments/${tag}-${i}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(appointmentBody(i)),
    });
    await res.arrayBuffer();
    return res.status === 201;
  };
  /** Batch `b` of `tag`: appointments b × batchSize … as one POST /v1/appointments:batch; its result is the count created. */
  const bulk = (tag: string) => async (b: number) => {
    const from = b * batchSize;
    const items = Array.from({ length: Math.min(batchSize, n - from) }, (_, k) => ({ id: `${tag}-${from + k}`, ...appointmentBody(from + k) }));
    const res = await app.request('/v1/appointments:batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    const body = (await res.json()) as { created?: number };
    return res.status === 200 && body.created === items.length;
  };
  const batches = Math.ceil(n / batchSize);
  /** A bulk phase: n appointments in batches; its rate is per appointment, not per request. */
  const measureBulk = async (phase: string, tag: string) => {
    const result = await measure(phase, batches, bulk(tag), bulkConcurrency, delivered);
    const perSecond = Number((n / result.seconds).toFixed(1));
    const answeredPerSecond = Number((n / result.answeredSeconds!).toFixed(1));
    log(`${phase}: ${n} appointments in ${batches} batches = ${perSecond}/s accepted → running (${answeredPerSecond}/s answered)`);
    const perAppointment = (perBatch: number) => Number(((perBatch * batches) / n).toFixed(2));
    const cpuMsPerRequest = Object.fromEntries(Object.entries(result.cpuMsPerRequest).map(([name, ms]) => [name, perAppointment(ms)]));
    return { ...result, requests: n, batches, perSecond, answeredPerSecond, sqlPerRequest: perAppointment(result.sqlPerRequest), cpuMsPerRequest };
  };
  const rawQueue = `${infra.taskQueue}-raw`;
  const raw = async () => {
    await infra.client.workflow.start('benchNoopWorkflow', { taskQueue: rawQueue, workflowId: `raw-${randomUUID()}` });
    return true;
  };

  log(`warm-up (100 raw, 100 api) with ${patientCount} patients, pool ${poolMax}, concurrency ${concurrency}`);
  await relayTo(parkedEngine);
  await measure('warm-up raw', 100, raw);
  await measure('warm-up api', 100, put('warm'), concurrency, delivered);
  await measure('warm-up bulk', 1, bulk('warmbulk'), 1, delivered);

  const phases: Phase[] = [];
  phases.push(await measure('raw #1', n, raw));
  phases.push(await measure('api #1', n, put('api1'), concurrency, delivered));
  phases.push(await measureBulk('bulk #1', 'bulk1'));
  const engineSnapshots = await createAppointments(
    infra.orm,
    f,
    Array.from({ length: n }, (_, i) => ({ patient: patients[i % patientCount]!, startAt: new Date(base + i * 15 * 60_000) })),
    new Date(),
  );
  phases.push(await measure('engine', n, async (i) => (await parkedEngine.appointmentChanged(engineSnapshots[i]!), true)));
  phases.push(await measure('raw #2', n, raw));
  // The start the relay made for a new appointment until the attributes were left to the workflow's first task (#8), without the API.
  phases.push(
    await measure('start with attributes', n, async (i) => {
      const snapshot = engineSnapshots[i]!;
      await infra.client.workflow.start('benchNoopWorkflow', {
        taskQueue: rawQueue,
        workflowId: `attrs-${randomUUID()}`,
        typedSearchAttributes: [...idAttributes(snapshot), { key: AppointmentStart, value: new Date(snapshot.startAt) }],
      });
      return true;
    }),
  );
  phases.push(await measure('api #2', n, put('api2'), concurrency, delivered));
  phases.push(await measureBulk('bulk #2', 'bulk2'));
  const extra: Phase[] = [];
  let live: Phase | null = null;
  let drainSeconds = 0;
  if (diagnostics) {
    // The relay as it was before it had lanes (one claim-deliver-settle transaction at a time), against raw #2.
    await relayTo(parkedEngine, 1);
    extra.push(await measure('api, relay in 1 lane', n, put('lane1'), concurrency, delivered));
    await relayTo(stubEngine);
    extra.push(await measure('api, engine stubbed', n, put('stub'), concurrency, delivered));
    const serial = Math.min(n, 200);
    // Fresh appointments: a signal-with-start of a running workflow is only a signal (cheaper).
    const serialSnapshots = await createAppointments(
      infra.orm,
      f,
      Array.from({ length: serial }, (_, i) => ({ patient: patients[i % patientCount]!, startAt: new Date(base + i * 15 * 60_000) })),
      new Date(),
    );
    extra.push(await measure('serial raw', serial, raw, 1));
    extra.push(await measure('serial engine', serial, async (i) => (await parkedEngine.appointmentChanged(serialSnapshots[i]!), true), 1));
    extra.push(await measure('serial api, engine stubbed', serial, put('serialstub'), 1, delivered));
    await relayTo(parkedEngine);
    extra.push(await measure('serial api', serial, put('serial'), 1, delivered));

    log('starting the production worker for the last phase (it runs an outbox relay too)');
    await relayTo(infra.engine);
    const worker = await startWorkerProcess(infra, log);
    try {
      const t0 = performance.now();
      live = await measure('api+worker', n, put('live'), concurrency, delivered);
      const settled = await waitForCount(infra.client, `${settledQuery([centerId])} AND TaskQueue = '${infra.taskQueue}'`, n, 600_000, log);
      drainSeconds = (performance.now() - t0) / 1000;
      log(`worker: ${settled}/${n} live appointments planned and asleep ${drainSeconds.toFixed(1)} s after the first request`);
    } finally {
      await worker.stop();
    }
  }
  await relay?.stop();

  const mean = (name: string, seconds: (p: Phase) => number = (p) => p.seconds) => {
    const of = phases.filter((p) => p.phase.startsWith(name));
    return of.reduce((sum, p) => sum + p.requests, 0) / of.reduce((sum, p) => sum + seconds(p), 0);
  };
  const rawRate = mean('raw');
  const apiRate = mean('api');
  const bulkRate = mean('bulk');
  const apiAnsweredRate = mean('api', (p) => p.answeredSeconds!);
  const engineRate = mean('engine');
  const attrsRate = mean('start with attributes');
  const ratio = apiRate / rawRate;
  finish(NAME, {
    params: {
      requestsPerPhase: n,
      concurrency,
      bulkBatch: batchSize,
      bulkConcurrency,
      relay: { lanes: relayLanes || 'default (4)', batch: relayBatch || 'default (32)' },
      ormPoolMax: poolMax,
      via: 'app.request()',
      apiClockStops: 'when the outbox is empty (every accepted appointment delivered to Temporal by the relay in this process)',
      appointmentCreatedChannels: [],
      temporal: infra.temporal.store,
    },
    results: {
      phases: live ? [...phases, live] : phases,
      diagnostics: extra,
      rawStartsPerSecond: Number(rawRate.toFixed(1)),
      engineSignalWithStartPerSecond: Number(engineRate.toFixed(1)),
      startWithAttributesPerSecond: Number(attrsRate.toFixed(1)),
      startWithAttributesToRaw: Number((attrsRate / rawRate).toFixed(3)),
      bulkToStartWithAttributes: Number((bulkRate / attrsRate).toFixed(3)),
      apiPerSecond: Number(apiRate.toFixed(1)),
      apiToRaw: Number(ratio.toFixed(3)),
      bulkPerSecond: Number(bulkRate.toFixed(1)),
      bulkToRaw: Number((bulkRate / rawRate).toFixed(3)),
      bulkToRaw2: Number((phases.find((p) => p.phase === 'bulk #2')!.perSecond / phases.find((p) => p.phase === 'raw #2')!.perSecond).toFixed(3)),
      apiAnsweredPerSecond: Number(apiAnsweredRate.toFixed(1)),
      apiOneLaneToRaw2: extra[0] ? Number((extra[0].perSecond / phases.find((p) => p.phase === 'raw #2')!.perSecond).toFixed(3)) : null,
      apiToRaw2: Number((phases.find((p) => p.phase === 'api #2')!.perSecond / phases.find((p) => p.phase === 'raw #2')!.perSecond).toFixed(3)),
      apiAnsweredToRaw: Number((apiAnsweredRate / rawRate).toFixed(3)),
      apiWithWorkerPerSecond: live?.perSecond ?? null,
      apiWithWorkerToRaw: live ? Number((live.perSecond / rawRate).toFixed(3)) : null,
      workerPlannedPerSecond: live ? Number((n / drainSeconds).toFixed(1)) : null,
    },
    bars: { apiToRawAtLeast: BAR_RATIO, met: ratio >= BAR_RATIO && phases.every((p) => p.errors === 0), bulkMet: bulkRate / rawRate >= BAR_RATIO && phases.every((p) => p.errors === 0) },
  });
});
