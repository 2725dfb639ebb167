/**
 * The moonshot of the reminder burst (#13): the plain pg-boss pipeline a Node team would build
 * instead: one delayed job per reminder (`startAfter: D`), a worker process
 * (bench/plain-pgboss-worker.ts) that sends each over one pooled nodemailer transport, nothing
 * else. Same pg-boss tuning as bench/baseline-pgboss.ts (4 × 25 in flight, polling every 0.5 s).
 *
 *   npx tsx bench/plain-pgboss.ts      BURST_M=1000 PGBOSS_WORKERS=4 PGBOSS_BATCH=25
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import PgBoss from 'pg-boss';
import { mailCounts, waitForBurstMails } from './burst-fixture.js';
import type { PlainJob } from './plain-pgboss-worker.js';
import { benchDir, cpuGroups, createLog, envInt, finish, sleep, startWorkerProcess, withInfra } from './support.js';

const NAME = 'plain-pgboss';
const log = createLog(NAME);
const m = envInt('BURST_M', 1000);
const workers = envInt('PGBOSS_WORKERS', 4);
const batch = envInt('PGBOSS_BATCH', 25);
const setupSeconds = envInt('BURST_SETUP_SECONDS', 30 + Math.ceil(m * 0.005));

await withInfra(log, {}, async (infra) => {
  const dueAt = new Date(Math.ceil((Date.now() + setupSeconds * 1000) / 1000) * 1000);
  const boss = new PgBoss({ connectionString: infra.databaseUrl, max: 4 });
  boss.on('error', (error: Error) => log(`pg-boss error: ${error.name}`));
  await boss.start();
  await boss.createQueue('plain-reminders');
  const ids = Array.from({ length: m }, () => randomUUID());
  for (let i = 0; i < ids.length; i += 1000) {
    await boss.insert(ids.slice(i, i + 1000).map((messageId) => ({ name: 'plain-reminders', data: { messageId } satisfies PlainJob, startAfter: dueAt })));
  }
  log(`${m} delayed jobs`);
  const worker = await startWorkerProcess(infra, log, {
    script: join(benchDir, 'plain-pgboss-worker.ts'),
    env: { PGBOSS_WORKERS: String(workers), PGBOSS_BATCH: String(batch) },
    memoryIntervalMs: 5000,
  });
  try {
    const setupOverran = Date.now() >= dueAt.getTime();
    if (setupOverran) log('WARNING: setup ran past D; raise BURST_SETUP_SECONDS');
    await sleep(Math.max(0, dueAt.getTime() - Date.now()));
    log('D: every job is due now');
    const due = dueAt.getTime();
    const { complete, cpuDuringBurst } = await waitForBurstMails(infra, due, m, Math.max(600_000, m * 120), log, cpuGroups(infra, worker.pid));
    await sleep(1000);
    const report = { complete, ...mailCounts(infra, new Set(ids), due), cpuDuringBurst };
    log(`${report.distinctMessages}/${m} sent (${report.sentTwice} twice); lateness p50 ${report.latenessMs.p50} ms, p99 ${report.latenessMs.p99} ms; CPU % ${JSON.stringify(cpuDuringBurst)}`);
    finish(NAME, {
      params: { m, pgBoss: '10.4.2', workers, batchSize: batch, pollingIntervalSeconds: 0.5, transport: 'one pooled nodemailer transport (5 connections)' },
      results: { ...report, setupOverran, workerPeakRssMiB: Math.round(Math.max(...worker.memory.map((s) => s.rss)) / 2 ** 20) },
      bars: { allSentNoneTwice: complete && report.missing === 0 && report.sentTwice === 0, p99LatenessMs: report.latenessMs.p99 },
    });
  } finally {
    await worker.stop();
    await boss.stop({ graceful: false, timeout: 2000 });
  }
});
