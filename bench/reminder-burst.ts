/**
 * Reminder bar: 10 000 email reminders due at the same instant: all sent, none twice, p99
 * lateness (SMTP arrival − due time) no worse than a well-tuned pg-boss pipeline doing the same
 * work on the same machine (bench/baseline-pgboss.ts).
 *
 * BURST_M appointments (default 1000; the bar's 10 000 with BURST_M=10000) over BURST_CENTERS
 * centers (default 10), each with its own patient, every reminder due at one instant D. They are
 * booked through the engine and planned by the production worker (child process, `src/worker.ts`)
 * before D; then the clock runs from D until the SMTP sink holds every reminder. "Sent once" is
 * checked on the sink (per Message-ID = message row id), on the rows and on the credit ledger.
 *
 *   npx tsx bench/reminder-burst.ts        BURST_M=1000 BURST_CENTERS=10 BURST_SETUP_SECONDS=…
 *   BENCH_TEMPORAL_DB=cluster BENCH_WORKERS=2 npx tsx bench/reminder-burst.ts   real Temporal server, 2 workers
 */
import { burstReport, burstWorkerEnv, setUpBurst } from './burst-fixture.js';
import { PREPARE_AHEAD_MS } from '../src/domain/prepared.js';
import { appointmentWorkflowId } from '../src/workflows/definitions.js';
import {
  benchWorkers, bookAll, cpuGroups, createLog, envInt, finish, historyLength, resultSuffix, settledQuery, sleep, startExtraWorkers, startWorkerProcess, waitForCount, withInfra,
} from './support.js';

const NAME = `reminder-burst${resultSuffix()}`;
const log = createLog(NAME);
const m = envInt('BURST_M', 1000);
const centers = envInt('BURST_CENTERS', 10);
/** From start to D: booking and planning every appointment must fit in it. */
const setupSeconds = envInt('BURST_SETUP_SECONDS', 45 + Math.ceil(m * 0.06));

// Past the 10-minute prepare window, appointments booked early are all prepared at D − 10 min at
// once, racing the rest of the booking: the burst then measures that race (README "Reminder bursts").
if (setupSeconds * 1000 > PREPARE_AHEAD_MS) log(`WARNING: setup ${setupSeconds} s is longer than the ${PREPARE_AHEAD_MS / 1000} s prepare window; reminders may be prepared after D`);

await withInfra(log, {}, async (infra) => {
  const dueAt = new Date(Math.ceil((Date.now() + setupSeconds * 1000) / 1000) * 1000);
  const burst = await setUpBurst(infra, { m, centers, dueAt, log });
  const worker = await startWorkerProcess(infra, log, { memoryIntervalMs: 5000, env: burstWorkerEnv(m) });
  const extraWorkers = await startExtraWorkers(infra, log, { memoryIntervalMs: 5000, env: burstWorkerEnv(m) });
  try {
    const booking = await bookAll(infra.engine, burst.snapshots, 32, log);
    log(`booked ${m} in ${booking.seconds.toFixed(1)} s (${booking.perSecond.toFixed(0)}/s); waiting for every workflow to plan and sleep`);
    const settledAt = performance.now();
    const settled = await waitForCount(infra.client, settledQuery(burst.centerIds), m, Math.max(10_000, dueAt.getTime() - Date.now() - 1000), log);
    const planSeconds = (performance.now() - settledAt) / 1000;
    const setupOverran = Date.now() >= dueAt.getTime() || settled < m;
    if (setupOverran) log(`WARNING: only ${settled}/${m} planned before D; raise BURST_SETUP_SECONDS`);
    log(`${settled}/${m} asleep; D in ${((dueAt.getTime() - Date.now()) / 1000).toFixed(0)} s`);
    await sleep(Math.max(0, dueAt.getTime() - Date.now()));
    log('D: every reminder is due now');
    const report = await burstReport(infra, burst, m, Math.max(600_000, m * 120), log, cpuGroups(infra, worker.pid));
    const peakRss = Math.max(...worker.memory.map((s) => s.rss));
    const sample = burst.snapshots[0]!;
    const events = await historyLength(infra.client, appointmentWorkflowId(sample.centerId, sample.appointmentId));
    finish(NAME, {
      params: { m, centers, reminderLeadMinutes: 15, channel: 'email', temporal: infra.temporal.store, workers: benchWorkers, worker: burstWorkerEnv(m) },
      results: {
        ...report,
        booking: { seconds: Number(booking.seconds.toFixed(1)), perSecond: Number(booking.perSecond.toFixed(1)) },
        planningAfterBookingSeconds: Number(planSeconds.toFixed(1)),
        setupOverran,
        workerPeakRssMiB: Math.round(peakRss / 2 ** 20),
        /** Booked, planned, slept, sent its reminder, sleeping again (30 days after the end). */
        sampleHistoryEventsAfterReminder: events,
      },
      bars: {
        allSentNoneTwice: report.complete && report.distinctMessages === m && report.sentTwice === 0 && report.debitedTwice === 0,
        p99LatenessMs: report.latenessMs.p99,
        comparedWith: 'bench/results/baseline-pgboss.json (p99 lateness, same M and centers)',
      },
    });
  } finally {
    await Promise.all([worker, ...extraWorkers].map((w) => w.stop()));
  }
});
