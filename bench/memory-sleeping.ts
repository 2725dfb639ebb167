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
 *   npx tsx bench/memory-sleeping.ts      MEM_K=5000 MEM_IDLE_SECONDS=90
 */
import { appointmentWorkflowId } from '../src/workflows/definitions.js';
import {
  bookAll,
  createAppointments,
  createCenter,
  createLog,
  createPatients,
  envInt,
  finish,
  historyLength,
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
  const snapshots = await createAppointments(
    infra.orm,
    f,
    Array.from({ length: k }, (_, i) => ({ patient: patients[i % patients.length]!, startAt: new Date(Date.now() + 3 * DAY_MS + (i % 10_000) * 60_000) })),
    new Date(),
  );
  log(`${k} appointments 3 to 10 days ahead`);

  const worker = await startWorkerProcess(infra, log, { memoryIntervalMs: sampleMs });
  try {
    const rampStart = Date.now();
    const booking = await bookAll(infra.engine, snapshots, 32, log);
    log(`booked ${k} in ${booking.seconds.toFixed(0)} s; waiting for every workflow to plan and sleep`);
    const settled = await waitForCount(infra.client, settledQuery([centerId]), k, 3_600_000, log);
    const rampSeconds = (Date.now() - rampStart) / 1000;
    log(`${settled}/${k} asleep after ${rampSeconds.toFixed(0)} s; sampling the idle worker for ${idleSeconds} s`);
    const idleFrom = Date.now();
    await sleep(idleSeconds * 1000);
    const ramp = worker.memory.filter((s) => s.at >= rampStart && s.at < idleFrom);
    const idle = worker.memory.filter((s) => s.at >= idleFrom);
    const sample = snapshots[Math.floor(k / 2)]!;
    const events = await historyLength(infra.client, appointmentWorkflowId(centerId, sample.appointmentId));
    const result = {
      sleeping: settled,
      booking: { seconds: Number(booking.seconds.toFixed(1)), perSecond: Number(booking.perSecond.toFixed(1)) },
      plannedPerSecond: Number((settled / rampSeconds).toFixed(1)),
      beforeBooking: describe(worker.memory.filter((s) => s.at < rampStart)),
      duringRamp: describe(ramp),
      whileAllSleep: describe(idle),
      sampleHistoryEvents: events,
    };
    log(`idle worker RSS ${JSON.stringify(result.whileAllSleep.rss)}, heapUsed ${JSON.stringify(result.whileAllSleep.heapUsed)}; history of a sleeping appointment: ${events} events`);
    const idleRss = result.whileAllSleep.rss;
    finish(NAME, {
      params: { k, idleSeconds, sampleMs, appointmentCreatedChannels: [], workerCache: process.env.WORKER_MAX_CACHED_WORKFLOWS ?? 'WORKER_MAX_CACHED_WORKFLOWS default' },
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
