/**
 * Baseline for the reminder bar: the same burst as bench/reminder-burst.ts (BURST_M reminders
 * over BURST_CENTERS centers, all due at one instant D), scheduled as pg-boss delayed jobs
 * (`startAfter: D`) instead of workflows. A worker process (bench/baseline-pgboss-worker.ts)
 * runs for each job the very activity functions the workflow runs at D (render + insert,
 * debit, send over nodemailer to the same SMTP sink). Same report: sent once?, p50/p95/p99
 * lateness, where the time went.
 *
 *   npx tsx bench/baseline-pgboss.ts      BURST_M=1000 BURST_CENTERS=10 PGBOSS_WORKERS=4 PGBOSS_BATCH=25
 */
import { join } from 'node:path';
import PgBoss from 'pg-boss';
import type { ReminderJob } from './baseline-pgboss-worker.js';
import { burstReport, setUpBurst } from './burst-fixture.js';
import { benchDir, cpuGroups, createLog, envInt, finish, sleep, startWorkerProcess, withInfra } from './support.js';

const NAME = 'baseline-pgboss';
const log = createLog(NAME);
const m = envInt('BURST_M', 1000);
const centers = envInt('BURST_CENTERS', 10);
const workers = envInt('PGBOSS_WORKERS', 4);
const batch = envInt('PGBOSS_BATCH', 25);
const setupSeconds = envInt('BURST_SETUP_SECONDS', 30 + Math.ceil(m * 0.005));

await withInfra(log, {}, async (infra) => {
  const dueAt = new Date(Math.ceil((Date.now() + setupSeconds * 1000) / 1000) * 1000);
  const burst = await setUpBurst(infra, { m, centers, dueAt, log });
  const boss = new PgBoss({ connectionString: infra.databaseUrl, max: 4 });
  boss.on('error', (error: Error) => log(`pg-boss error: ${error.name}`));
  await boss.start();
  await boss.createQueue('reminders');
  const enqueueStarted = performance.now();
  for (let i = 0; i < burst.snapshots.length; i += 1000) {
    await boss.insert(
      burst.snapshots.slice(i, i + 1000).map((s) => ({
        name: 'reminders',
        data: { centerId: s.centerId, appointmentId: s.appointmentId, startAt: s.startAt, dueAt: dueAt.toISOString() } satisfies ReminderJob,
        startAfter: dueAt,
      })),
    );
  }
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
  log(`${m} delayed jobs in ${enqueueSeconds.toFixed(1)} s`);
  const worker = await startWorkerProcess(infra, log, {
    script: join(benchDir, 'baseline-pgboss-worker.ts'),
    env: { PGBOSS_WORKERS: String(workers), PGBOSS_BATCH: String(batch) },
    memoryIntervalMs: 5000,
  });
  try {
    if (Date.now() >= dueAt.getTime()) log('WARNING: setup ran past D; raise BURST_SETUP_SECONDS');
    log(`D in ${((dueAt.getTime() - Date.now()) / 1000).toFixed(0)} s`);
    await sleep(Math.max(0, dueAt.getTime() - Date.now()));
    log('D: every job is due now');
    const report = await burstReport(infra, burst, m, Math.max(600_000, m * 120), log, cpuGroups(infra, worker.pid));
    finish(NAME, {
      params: { m, centers, pgBoss: '10.4.2', workers, batchSize: batch, inFlight: workers * batch, pollingIntervalSeconds: 0.5, workerOrmPoolMax: 10 },
      results: { ...report, enqueueSeconds: Number(enqueueSeconds.toFixed(1)), workerPeakRssMiB: Math.round(Math.max(...worker.memory.map((s) => s.rss)) / 2 ** 20) },
      bars: { allSentNoneTwice: report.complete && report.distinctMessages === m && report.sentTwice === 0 && report.debitedTwice === 0, p99LatenessMs: report.latenessMs.p99 },
      notes: ['The Temporal dev server runs but idles (the stack is the same as for reminder-burst).'],
    });
  } finally {
    await worker.stop();
    await boss.stop({ graceful: false, timeout: 2000 });
  }
});
