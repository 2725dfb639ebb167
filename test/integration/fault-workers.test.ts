import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum } from '../../src/db/credits.js';
import { Center, CreditEntry, Message } from '../../src/db/entities/index.js';
import { freePort } from '../../src/dev/ports.js';
import { startLocalPostgres, type LocalPostgres } from '../../src/dev/postgres.js';
import { createTemporalEngine } from '../../src/engine/temporal-engine.js';
import { migrateUp, openOrm, type MikroORM } from '../../src/db/orm.js';
import { until } from '../support/processes/service-process.js';
import { bookBurst, burstCenter as centerForBurst, type BurstCenter } from '../support/burst-center.js';
import { killProcess } from '../support/processes/worker-process.js';
import { startWorkerRig, type WorkerRig } from '../support/processes/worker-rig.js';

/** 50 patients × email + SMS = a burst of 100 sends (enough to be mid-burst at the fault; light enough for `npm test` on 2 cores). */
const PATIENTS = 50;

/**
 * Issue 10 fault injection with real worker processes (src/worker.ts as `npm run worker` runs it)
 * against the Temporal dev server, a PostgreSQL of this file's own (so it can be restarted), a
 * real SMTP server and the Twilio test server. A burst of 50 booking notices by email and SMS
 * (100 sends due at once); the faults: a worker SIGKILLed mid-burst and restarted, two workers
 * at once, PostgreSQL restarted mid-burst. What must hold: every message sent; each SMS made at
 * Twilio exactly once; an email at most twice, and twice only when its row says possible
 * duplicate (README "Delivery guarantees per channel"); the ledger debits each message once.
 */
describe('issue 10: every message once with real worker processes (dev server)', () => {
  let pgDir: string;
  let pgPort: number;
  let pgServer: LocalPostgres;
  let databaseUrl: string;
  let orm: MikroORM;
  let rig: WorkerRig;

  beforeAll(async () => {
    pgDir = mkdtempSync(join(tmpdir(), 'comms-faults-pg-'));
    pgPort = await freePort();
    pgServer = await startLocalPostgres({ dataDir: pgDir, port: pgPort });
    databaseUrl = await pgServer.createDatabase('faults');
    orm = await openOrm(databaseUrl);
    await migrateUp(orm);
    rig = await startWorkerRig(databaseUrl);
  }, 180_000);

  afterAll(async () => {
    await rig?.stop();
    await orm?.close();
    await pgServer?.stop();
    rmSync(pgDir, { recursive: true, force: true });
  });

  /** A worker process as deployed (`tsx src/worker.ts`); resolves once it polls. */
  const startWorker = (taskQueue: string) => rig.startWorker(taskQueue, { PHONE_MESSAGES_PER_SECOND: '40' });

  const kill = killProcess;

  /** A center with 50 patients, notices on booking by email and SMS. */
  const burstCenter = () => centerForBurst(orm, { name: 'Fault Test', patients: PATIENTS, channels: ['email', 'sms'] });

  /** Books one appointment per patient, as the API does (a new row, then the engine). */
  async function book(taskQueue: string, fixture: BurstCenter) {
    const engine = createTemporalEngine({ client: rig.env.client, taskQueue, orm });
    const start = Date.now() + 3 * 24 * 3600_000;
    // Committed first, then told (the order the outbox keeps); this test is about the sends.
    await bookBurst(orm, engine, fixture, () => ({ startAt: start, endAt: start + 1800_000 }));
  }

  const sendsSoFar = () => rig.smtp.mails.length + rig.twilio.messages.length;
  const rowsOf = (centerId: string) => orm.em.fork().find(Message, { centerId, eventKind: 'appointment.created' });
  const allOut = async (centerId: string) => {
    const rows = await rowsOf(centerId);
    return rows.length === 2 * PATIENTS && rows.every((m) => ['sent', 'delivered'].includes(m.status));
  };

  /** The guarantees of the README, checked over one burst. */
  async function expectEveryMessageOnce(centerId: string, options: { emailDuplicatesAllowed: boolean }) {
    const { smtp, twilio } = rig;
    const rows = await rowsOf(centerId);
    expect(rows).toHaveLength(2 * PATIENTS);
    expect(rows.filter((m) => !['sent', 'delivered'].includes(m.status)).map((m) => `${m.channel}:${m.status}`)).toEqual([]);
    // SMS: each one made at Twilio exactly once, and the row knows its SID.
    for (const sms of rows.filter((m) => m.channel === 'sms')) {
      const made = twilio.messages.filter((t) => t.to === sms.recipientAddress);
      expect(made.map((t) => t.sid), sms.id).toEqual([sms.providerId]);
    }
    // Email: once, or twice with the same Message-ID only where the row says possible duplicate.
    let duplicates = 0;
    for (const email of rows.filter((m) => m.channel === 'email')) {
      const copies = smtp.mails.filter((mail) => mail.parsed.messageId === `<${email.id}@clinic.test>`).length;
      expect(copies, email.id).toBeGreaterThanOrEqual(1);
      expect(copies, email.id).toBeLessThanOrEqual(email.possibleDuplicate ? 2 : 1);
      if (copies === 2) duplicates += 1;
    }
    if (!options.emailDuplicatesAllowed) expect(rows.filter((m) => m.possibleDuplicate)).toEqual([]);
    // F1: one debit per message, no refund, the balance is the ledger's sum.
    const em = orm.em.fork();
    const entries = await em.find(CreditEntry, { centerId, messageId: { $ne: null } });
    expect(entries.filter((e) => e.kind === 'debit')).toHaveLength(2 * PATIENTS);
    expect(entries.filter((e) => e.kind === 'refund')).toHaveLength(0);
    expect(await ledgerSum(em, centerId)).toBe(1000 - 2 * PATIENTS);
    expect((await em.findOneOrFail(Center, { id: centerId })).creditBalance).toBe(1000 - 2 * PATIENTS);
    return { duplicates, marked: rows.filter((m) => m.possibleDuplicate).length };
  }

  /** One worker process, the burst booked, and 20 of its 100 sends out: the moment of the fault. */
  async function midBurst() {
    const taskQueue = `faults-${randomUUID()}`;
    const fixture = await burstCenter();
    const worker = await startWorker(taskQueue);
    const before = sendsSoFar();
    await book(taskQueue, fixture);
    expect(await until(() => sendsSoFar() - before >= 20, 120_000)).toBe(true);
    return { taskQueue, fixture, worker, sent: () => sendsSoFar() - before };
  }

  it('a worker SIGKILLed mid-burst and restarted: every message sent, SMS exactly once, email duplicates only as documented and marked, ledger exact', async () => {
    const { taskQueue, fixture, worker: first, sent } = await midBurst();
    await kill(first);
    const killedAt = Date.now();
    const sentAtKill = sent();
    await startWorker(taskQueue);
    const restartedAt = Date.now();
    expect(await until(() => allOut(fixture.center.id), 240_000)).toBe(true);
    const doneAt = Date.now();
    const { duplicates, marked } = await expectEveryMessageOnce(fixture.center.id, { emailDuplicatesAllowed: true });
    console.log(
      `[issue 10] SIGKILL after ${sentAtKill} of ${2 * PATIENTS} sends; restart ${restartedAt - killedAt} ms later; ` +
        `all sent ${doneAt - restartedAt} ms after the restart; email duplicates ${duplicates} (rows marked possible duplicate: ${marked})`,
    );
  }, 420_000);

  it('the same burst on two worker processes at once: no message sent twice', async () => {
    const taskQueue = `faults-${randomUUID()}`;
    const fixture = await burstCenter();
    const workers = await Promise.all([startWorker(taskQueue), startWorker(taskQueue)]);
    await book(taskQueue, fixture);
    expect(await until(() => allOut(fixture.center.id), 240_000)).toBe(true);
    await expectEveryMessageOnce(fixture.center.id, { emailDuplicatesAllowed: false });
    await Promise.all(workers.map(kill));
  }, 420_000);

  it('PostgreSQL restarted mid-burst: every message sent, SMS exactly once, email duplicates only as documented, ledger exact', async () => {
    const { fixture, worker } = await midBurst();
    await orm.close();
    await pgServer.stop();
    const downAt = Date.now();
    pgServer = await startLocalPostgres({ dataDir: pgDir, port: pgPort });
    const upAt = Date.now();
    orm = await openOrm(databaseUrl);
    expect(await until(() => allOut(fixture.center.id), 240_000)).toBe(true);
    const { duplicates, marked } = await expectEveryMessageOnce(fixture.center.id, { emailDuplicatesAllowed: true });
    console.log(`[issue 10] PostgreSQL down ${upAt - downAt} ms mid-burst; all sent ${Date.now() - upAt} ms after; email duplicates ${duplicates} (marked ${marked})`);
    await kill(worker);
  }, 420_000);
});
