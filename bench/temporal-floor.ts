/**
 * The bare Temporal floor of the reminder burst (#13): BURST_M workflows that sleep until one
 * instant D, then each runs one local activity that sends one email through the project's email
 * channel. No database, no plan, no saga; the same dev server and worker settings
 * (`workerTuning`) as bench/reminder-burst.ts. What any one-workflow-per-appointment design pays
 * here; the project's p99 is compared with it in the same run (bench/burst-compare.ts).
 *
 *   npx tsx bench/temporal-floor.ts        BURST_M=1000 BURST_SETUP_SECONDS=…
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { burstWorkerEnv, mailCounts, waitForBurstMails } from './burst-fixture.js';
import { benchDir, cpuGroups, createLog, envInt, finish, runPool, sleep, startWorkerProcess, withInfra } from './support.js';

const NAME = 'temporal-floor';
const log = createLog(NAME);
const m = envInt('BURST_M', 1000);
const setupSeconds = envInt('BURST_SETUP_SECONDS', 30 + Math.ceil(m * 0.02));

await withInfra(log, {}, async (infra) => {
  const dueAt = new Date(Math.ceil((Date.now() + setupSeconds * 1000) / 1000) * 1000);
  const worker = await startWorkerProcess(infra, log, { script: join(benchDir, 'floor-worker.ts'), memoryIntervalMs: 5000, env: burstWorkerEnv(m) });
  try {
    const ids = Array.from({ length: m }, () => randomUUID());
    const started = performance.now();
    await runPool(
      ids,
      32,
      async (messageId) => {
        await infra.client.workflow.start('floorWorkflow', { taskQueue: infra.taskQueue, workflowId: `floor-${messageId}`, args: [{ messageId, dueAt: dueAt.toISOString() }] });
      },
      (done) => log(`  started ${done}/${m}`),
      Math.max(100, Math.round(m / 10)),
    );
    const startSeconds = (performance.now() - started) / 1000;
    const setupOverran = Date.now() >= dueAt.getTime();
    if (setupOverran) log('WARNING: setup ran past D; raise BURST_SETUP_SECONDS');
    log(`${m} workflows started in ${startSeconds.toFixed(1)} s; D in ${((dueAt.getTime() - Date.now()) / 1000).toFixed(0)} s`);
    await sleep(Math.max(0, dueAt.getTime() - Date.now()));
    log('D: every email is due now');
    const due = dueAt.getTime();
    const { complete, cpuDuringBurst } = await waitForBurstMails(infra, due, m, Math.max(600_000, m * 120), log, cpuGroups(infra, worker.pid));
    await sleep(1000); // any duplicate shows
    const report = { complete, ...mailCounts(infra, new Set(ids), due), cpuDuringBurst };
    log(`${report.distinctMessages}/${m} sent (${report.sentTwice} twice); lateness p50 ${report.latenessMs.p50} ms, p99 ${report.latenessMs.p99} ms; CPU % ${JSON.stringify(cpuDuringBurst)}`);
    finish(NAME, {
      params: { m, channel: 'email', temporal: infra.temporal.store, database: 'none', worker: burstWorkerEnv(m) },
      results: { ...report, startSeconds: Number(startSeconds.toFixed(1)), setupOverran, workerPeakRssMiB: Math.round(Math.max(...worker.memory.map((s) => s.rss)) / 2 ** 20) },
      bars: { allSentNoneTwice: complete && report.missing === 0 && report.sentTwice === 0, p99LatenessMs: report.latenessMs.p99 },
    });
  } finally {
    await worker.stop();
  }
});
