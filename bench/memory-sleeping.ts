/**
 * Memory bar: the worker's memory stays flat while 100 000 appointments sleep; the history of a
 * typical appointment has ≤ 100 events.
 *
 * MEM_K appointments (default 5000: planning runs at a few dozen per second on these 2 cores,
 * see the README; MEM_K=100000 takes hours) are booked through the engine with the production
 * worker (child process) running; each plans its reminder (3 to 10 days ahead) and sleeps. The
 * worker's RSS and heapUsed are sampled every MEM_SAMPLE_MS (default 2 s) during the ramp and
 * then for MEM_IDLE_SECONDS (default 90) while everything sleeps: first / last / max of each.
 * No booking confirmations (appointment.created channels []), so nothing is sent.
 *
 * MEM_SETTLE_TIMEOUT_S bounds the wait for all to plan (default an hour, or k / 15 s if longer);
 * each progress line names the worker's latest RSS, so a 100 000 import shows memory against count.
 *
 * MEM_VIA=bulk books them as an initial import would (#13): `POST /v1/appointments:batch`
 * through `createApp` (MEM_BATCH per request, default 500, 2 requests in flight) with the
 * outbox relay an API process runs, so the planning rate is booking → asleep through the API.
 * The CPU of each process tree (bench, PostgreSQL, Temporal, worker) during the ramp says which
 * one limits that rate.
 *
 *   npx tsx bench/memory-sleeping.ts      MEM_K=5000 MEM_IDLE_SECONDS=90 MEM_VIA=engine|bulk
 */
import pino from 'pino';
import { createApp } from '../src/api/app.js';
import { createApiKey } from '../src/db/api-keys.js';
import { Appointment } from '../src/db/entities/index.js';
import { outboxBacklog } from '../src/db/outbox.js';
import { createOutboxRelay } from '../src/engine/outbox-relay.js';
import { appointmentWorkflowId } from '../src/workflows/definitions.js';
import {
  bookAll,
  createAppointments,
  createCenter,
  createLog,
  createPatients,
  cpuGroups,
  cpuMark,
  cpuPercent,
  envInt,
  finish,
  historyLength,
  runPool,
  settledQuery,
  setEvent,
  sleep,
  startWorkerProcess,
  waitForCount,
  withInfra,
  type MemorySample,
} from './support.js';

const NAME = 'memory-sleeping';
const log = createLog(NAME);
const k = envInt('MEM_K', 5000);
const idleSeconds = envInt('MEM_IDLE_SECONDS', 90);
const sampleMs = envInt('MEM_SAMPLE_MS', 2000);
const via = process.env.MEM_VIA === 'bulk' ? 'bulk' : 'engine';
const batchSize = envInt('MEM_BATCH', 500);
/** How long to wait for all to plan: an hour, or longer for an import that cannot plan in one at ~30/s. */
const settleTimeoutSeconds = envInt('MEM_SETTLE_TIMEOUT_S', Math.max(3600, Math.ceil(k / 15)));
const MiB = 2 ** 20;
const DAY_MS = 24 * 3600_000;

function describe(samples: MemorySample[]) {
  const of = (key: 'rss' | 'heapUsed') => {
    const values = samples.map((s) => s[key]);
    return values.length
      ? { firstMiB: Math.round(values[0]! / MiB), lastMiB: Math.round(values[values.length - 1]! / MiB), maxMiB: Math.round(Math.max(...values) / MiB), minMiB: Math.round(Math.min(...values) / MiB) }
      : null;
  };
  return { samples: samples.length, rss: of('rss'), heapUsed: of('heapUsed') };
}

await withInfra(log, {}, async (infra) => {
  const f = await createCenter(infra.orm, { name: 'Bench memory', credits: 1000 });
  const centerId = f.center.id;
  await setEvent(infra.orm, centerId, 'appointment.created', []);
  const patients = await createPatients(infra.orm, centerId, Math.min(k, 5000), 'mem');
  const starts = Array.from({ length: k }, (_, i) => new Date(Date.now() + 3 * DAY_MS + (i % 10_000) * 60_000));
  const snapshots = via === 'engine' ? await createAppointments(infra.orm, f, starts.map((startAt, i) => ({ patient: patients[i % patients.length]!, startAt })), new Date()) : [];
  log(`${k} appointments 3 to 10 days ahead, booked through ${via === 'bulk' ? `POST /v1/appointments:batch (${batchSize} per request)` : 'the engine'}`);

  /** The import as a booking system makes it: batches through the API, its relay starting the workflows after each commit. */
  async function importThroughApi(): Promise<{ seconds: number; perSecond: number; answeredSeconds: number }> {
    const { key } = await createApiKey(infra.orm.em.fork(), { centerId, scope: 'booking', name: 'bench import' });
    const app = createApp({
      orm: infra.orm,
      engine: infra.engine,
      config: { PLATFORM_API_KEY: 'bench-platform-key-0123456789abcdef', PUBLIC_BASE_URL: 'http://127.0.0.1:9' },
      logger: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })),
      rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
    });
    const relay = createOutboxRelay({ orm: infra.orm, engine: infra.engine });
    await relay.start();
    const started = performance.now();
    const batches = Array.from({ length: Math.ceil(k / batchSize) }, (_, b) => b);
    try {
      await runPool(batches, 2, async (b) => {
        const items = starts.slice(b * batchSize, (b + 1) * batchSize).map((startAt, j) => {
          const i = b * batchSize + j;
          return { id: `mem-a${i}`, revision: 1, patientId: patients[i % patients.length]!.externalId, startAt: startAt.toISOString(), endAt: new Date(startAt.getTime() + 30 * 60_000).toISOString() };
        });
        const res = await app.request('/v1/appointments:batch', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
        if (res.status !== 200) throw new Error(`batch ${b}: ${res.status} ${await res.text()}`);
      }, (done) => log(`  imported ${Math.min(k, done * batchSize)}/${k}`), Math.max(1, Math.round(batches.length / 10)));
      const answeredSeconds = (performance.now() - started) / 1000;
      while ((await outboxBacklog(infra.orm.em.fork())).pending > 0) await sleep(50);
      const seconds = (performance.now() - started) / 1000;
      log(`  import answered after ${answeredSeconds.toFixed(1)} s; every workflow started after ${seconds.toFixed(1)} s`);
      return { seconds, perSecond: k / seconds, answeredSeconds };
    } finally {
      await relay.stop();
    }
  }

  const worker = await startWorkerProcess(infra, log, { memoryIntervalMs: sampleMs });
  try {
    const rampStart = Date.now();
    const groups = cpuGroups(infra, worker.pid);
    const cpuAtStart = cpuMark(groups);
    const booking: { seconds: number; perSecond: number; answeredSeconds?: number } = via === 'bulk' ? await importThroughApi() : await bookAll(infra.engine, snapshots, 32, log);
    log(`booked ${k} in ${booking.seconds.toFixed(0)} s; waiting for every workflow to plan and sleep`);
    const latestRss = () => {
      const last = worker.memory[worker.memory.length - 1];
      return last ? `worker RSS ${Math.round(last.rss / MiB)} MiB, heapUsed ${Math.round(last.heapUsed / MiB)} MiB` : 'worker RSS not sampled yet';
    };
    const settled = await waitForCount(infra.client, settledQuery([centerId]), k, settleTimeoutSeconds * 1000, log, { pollMs: k > 20_000 ? 10_000 : 1000, detail: latestRss });
    const rampSeconds = (Date.now() - rampStart) / 1000;
    // What the 2 cores did while planning: which process tree limits the rate.
    const cpuDuringRamp = cpuPercent(cpuAtStart, cpuMark(groups), rampSeconds);
    log(`CPU during the ramp (% of one core): ${JSON.stringify(cpuDuringRamp)}`);
    log(`${settled}/${k} asleep after ${rampSeconds.toFixed(0)} s; sampling the idle worker for ${idleSeconds} s`);
    const idleFrom = Date.now();
    await sleep(idleSeconds * 1000);
    const ramp = worker.memory.filter((s) => s.at >= rampStart && s.at < idleFrom);
    const idle = worker.memory.filter((s) => s.at >= idleFrom);
    const sampleId = snapshots[Math.floor(k / 2)]?.appointmentId ?? (await infra.orm.em.fork().findOneOrFail(Appointment, { centerId, externalId: `mem-a${Math.floor(k / 2)}` })).id;
    const events = await historyLength(infra.client, appointmentWorkflowId(centerId, sampleId));
    const result = {
      sleeping: settled,
      booking: { via, seconds: Number(booking.seconds.toFixed(1)), perSecond: Number(booking.perSecond.toFixed(1)), ...(booking.answeredSeconds !== undefined ? { apiAnsweredSeconds: Number(booking.answeredSeconds.toFixed(1)) } : {}) },
      plannedPerSecond: Number((settled / rampSeconds).toFixed(1)),
      cpuDuringRampPercent: cpuDuringRamp,
      beforeBooking: describe(worker.memory.filter((s) => s.at < rampStart)),
      duringRamp: describe(ramp),
      whileAllSleep: describe(idle),
      sampleHistoryEvents: events,
    };
    log(`idle worker RSS ${JSON.stringify(result.whileAllSleep.rss)}, heapUsed ${JSON.stringify(result.whileAllSleep.heapUsed)}; history of a sleeping appointment: ${events} events`);
    const idleRss = result.whileAllSleep.rss;
    finish(NAME, {
      params: { k, via, ...(via === 'bulk' ? { batchSize } : {}), idleSeconds, sampleMs, appointmentCreatedChannels: [], workerCache: process.env.WORKER_MAX_CACHED_WORKFLOWS ?? 'WORKER_MAX_CACHED_WORKFLOWS default' },
      results: result,
      bars: {
        // Flat: the idle phase's last sample within 10 % of its first.
        flatWhileSleeping: idleRss ? Math.abs(idleRss.lastMiB - idleRss.firstMiB) <= 0.1 * idleRss.firstMiB : false,
        sleepingTarget: 100_000,
        sleepingReached: settled,
        historyEventsAtMost100: events <= 100,
      },
      notes: ['The history counted is that of a booked appointment that planned and sleeps (no message sent yet); reminder-burst reports one after its reminder.'],
    });
  } finally {
    await worker.stop();
  }
});
