import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum } from '../../src/db/credits.js';
import { Center, CreditEntry, EventSetting, Message } from '../../src/db/entities/index.js';
import { createTemporalEngine } from '../../src/engine/temporal-engine.js';
import { DISPATCH_GRACE_MS } from '../../src/messages/timing.js';
import { bookBurst, burstCenter } from '../support/burst-center.js';
import { freshDatabase } from '../support/db.js';
import { until } from '../support/processes/service-process.js';
import { killProcess } from '../support/processes/worker-process.js';
import { startWorkerRig, type WorkerRig } from '../support/processes/worker-rig.js';

const REMINDERS = 200;
/** The worker's default EMAIL_DISPATCH_CONCURRENCY: the most a dead dispatcher can hold. */
const IN_FLIGHT = 50;

/**
 * #13: two worker processes (src/worker.ts, each with its email dispatcher) share a burst of 200
 * reminders prepared ahead and due at one instant; one is SIGKILLed mid-burst. Every reminder
 * must go out; an email at most twice and twice only when its row says possible duplicate (the
 * sends the dead dispatcher held, taken over by the other dispatcher once their lease ran out,
 * before the workflows' check after the grace period); one debit each. Dev server, real PostgreSQL, a real SMTP server that answers slowly (so the kill
 * lands mid-batch).
 */
describe('#13 a dispatcher killed mid-burst', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let rig: WorkerRig;

  beforeAll(async () => {
    db = await freshDatabase();
    rig = await startWorkerRig(db.url);
  }, 180_000);

  afterAll(async () => {
    await rig?.stop();
    await db?.close();
  });

  it('every reminder sent; duplicates only among the sends the dead dispatcher held, all marked; ledger exact', async () => {
    const { smtp } = rig;
    const taskQueue = `dispatch-${randomUUID()}`;
    const f = await burstCenter(db.orm, { name: 'Dispatch Fault', patients: REMINDERS, channels: [] });
    const em = db.orm.em.fork();
    await em.nativeUpdate(EventSetting, { centerId: f.center.id, eventKind: 'appointment.reminder' }, { channels: ['email'], options: { leadMinutes: 15 } });
    const [victim] = await Promise.all([rig.startWorker(taskQueue), rig.startWorker(taskQueue)]);

    // Booked so that every reminder falls due at D, inside the preparation window.
    const dueAt = Date.now() + 75_000;
    const start = dueAt + 15 * 60_000;
    const engine = createTemporalEngine({ client: rig.env.client, taskQueue, orm: db.orm });
    await bookBurst(db.orm, engine, f, () => ({ startAt: start, endAt: start + 1800_000 }));
    const reminders = () => db.orm.em.fork().find(Message, { centerId: f.center.id, eventKind: 'appointment.reminder' });
    expect(await until(async () => (await reminders()).length === REMINDERS, 60_000)).toBe(true);
    expect(Date.now()).toBeLessThan(dueAt); // all prepared ahead

    // A slow provider (150 ms a reply): the burst takes seconds, the kill lands inside it.
    smtp.delayReplies(150);
    expect(await until(() => smtp.mails.length >= 40, 120_000)).toBe(true);
    await killProcess(victim);
    const atKill = smtp.mails.length;
    // Its claims: `sending`, their lease run out (nobody renews them).
    await new Promise((r) => setTimeout(r, 12_000));
    // Rows the dead one claimed: taken over since (resent, marked) or about to be.
    const orphaned = (await reminders()).filter((m) => m.possibleDuplicate || m.status === 'sending' || m.status === 'unknown').length;
    expect(orphaned).toBeGreaterThan(0);
    smtp.delayReplies(0);

    const allOut = async () => (await reminders()).every((m) => m.status === 'sent');
    expect(await until(allOut, DISPATCH_GRACE_MS + 120_000)).toBe(true);
    const doneAt = Date.now();
    // The surviving dispatcher took the dead one's claims over once their lease ran out: all out
    // before the workflows' own check (due time + grace) would have resent them.
    expect(doneAt).toBeLessThan(dueAt + DISPATCH_GRACE_MS);

    const sent = await reminders();
    let twice = 0;
    for (const m of sent) {
      const copies = smtp.mails.filter((mail) => mail.parsed.messageId === `<${m.id}@clinic.test>`).length;
      expect(copies, m.id).toBeGreaterThanOrEqual(1);
      expect(copies, m.id).toBeLessThanOrEqual(m.possibleDuplicate ? 2 : 1);
      if (copies === 2) twice += 1;
    }
    const marked = sent.filter((m) => m.possibleDuplicate).length;
    expect(marked).toBeLessThanOrEqual(IN_FLIGHT);
    const entries = await db.orm.em.fork().find(CreditEntry, { centerId: f.center.id, messageId: { $ne: null } });
    expect(entries.filter((e) => e.kind === 'debit')).toHaveLength(REMINDERS);
    expect(entries.filter((e) => e.kind === 'refund')).toHaveLength(0);
    expect(await ledgerSum(db.orm.em.fork(), f.center.id)).toBe(1000 - REMINDERS);
    expect((await db.orm.em.fork().findOneOrFail(Center, { id: f.center.id })).creditBalance).toBe(1000 - REMINDERS);
    const byDispatcher = sent.filter((m) => m.claimHolder?.startsWith('dispatch:')).length;
    console.log(
      `[#13] SIGKILL after ${atKill} of ${REMINDERS} mails; ${orphaned} claims orphaned; all sent ${Math.round((doneAt - dueAt) / 1000)} s after D; ` +
        `${byDispatcher} sent by a dispatcher, ${REMINDERS - byDispatcher} by their workflow; received twice ${twice}, rows marked ${marked}`,
    );
  }, 420_000);
});
