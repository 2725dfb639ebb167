import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debitForMessage, ledgerSum, refundForMessage, topUp } from '../../src/db/credits.js';
import { Appointment, Center, Message, Patient } from '../../src/db/entities/index.js';
import { freshDatabase } from '../support/db.js';

describe('F1: credit ledger (src/db/credits.ts)', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(() => db?.close());

  async function centerWithMessages(count: number): Promise<{ centerId: string; messageIds: string[] }> {
    const em = db.orm.em.fork();
    const center = em.create(Center, { name: 'Crediti' });
    const patient = em.create(Patient, { centerId: center.id, externalId: 'p', firstName: 'Anna' });
    const appointment = em.create(Appointment, {
      centerId: center.id, externalId: 'a', patientId: patient.id, startAt: new Date('2026-12-01T09:00:00Z'), endAt: new Date('2026-12-01T09:30:00Z'),
    });
    const messageIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const m = em.create(Message, {
        centerId: center.id, idempotencyKey: `credits-${randomUUID()}`, appointmentId: appointment.id, eventKind: 'appointment.reminder',
        channel: 'sms', recipientKind: 'patient', recipientId: patient.id, dueAt: new Date(),
      });
      messageIds.push(m.id);
    }
    await em.flush();
    return { centerId: center.id, messageIds };
  }

  const balanceOf = async (centerId: string) => (await db.orm.em.fork().findOneOrFail(Center, centerId, { refresh: true })).creditBalance;

  it('F1: a concurrent burst of 50 debits on a balance of 30 debits exactly 30; balance = ledger sum = 0', async () => {
    const { centerId, messageIds } = await centerWithMessages(50);
    await topUp(db.orm.em.fork(), { centerId, amount: 30, note: 'pack' });
    const outcomes = await Promise.all(messageIds.map((messageId) => debitForMessage(db.orm.em.fork(), { centerId, messageId, amount: 1 })));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(30);
    expect(outcomes.filter((o) => !o.ok).every((o) => !o.ok && o.reason === 'no_credits' && o.balance === 0)).toBe(true);
    expect(await balanceOf(centerId)).toBe(0);
    expect(await ledgerSum(db.orm.em.fork(), centerId)).toBe(0);
  });

  it('F1: a repeated debit of the same message debits once and answers the first outcome', async () => {
    const { centerId, messageIds } = await centerWithMessages(1);
    const messageId = messageIds[0]!;
    await topUp(db.orm.em.fork(), { centerId, amount: 10, note: null });
    const results = await Promise.all(Array.from({ length: 5 }, () => debitForMessage(db.orm.em.fork(), { centerId, messageId, amount: 3 })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await balanceOf(centerId)).toBe(7);
    expect(await debitForMessage(db.orm.em.fork(), { centerId, messageId, amount: 3 })).toEqual({ ok: true, balance: 7 });
    expect(await ledgerSum(db.orm.em.fork(), centerId)).toBe(7);
  });

  it('F1: two debits of one message queued behind the center lock: one ledger row, both answer ok', async () => {
    const { centerId, messageIds } = await centerWithMessages(1);
    const messageId = messageIds[0]!;
    await topUp(db.orm.em.fork(), { centerId, amount: 10, note: null });
    // Hold the center row so both debits start (and take their snapshot) before either can run:
    // the second then misses the first's ledger row, hits the unique index, and must run again.
    const holder = db.orm.em.fork();
    await holder.begin();
    await holder.execute('select 1 from centers where id = ? for update', [centerId]);
    const debits = Promise.all([1, 2].map(() => debitForMessage(db.orm.em.fork(), { centerId, messageId, amount: 3 })));
    await new Promise((r) => setTimeout(r, 300));
    await holder.commit();
    expect(await debits).toEqual([
      { ok: true, balance: 7 },
      { ok: true, balance: 7 },
    ]);
    expect(await balanceOf(centerId)).toBe(7);
    expect(await ledgerSum(db.orm.em.fork(), centerId)).toBe(7);
  });

  it('F1: a failed message is refunded once; a never-debited one is not refunded', async () => {
    const { centerId, messageIds } = await centerWithMessages(2);
    const [debited, never] = messageIds as [string, string];
    await topUp(db.orm.em.fork(), { centerId, amount: 10, note: null });
    await debitForMessage(db.orm.em.fork(), { centerId, messageId: debited, amount: 4 });
    const refunds = await Promise.all(Array.from({ length: 3 }, () => refundForMessage(db.orm.em.fork(), { centerId, messageId: debited })));
    expect(refunds).toEqual([{ refunded: true }, { refunded: true }, { refunded: true }]);
    expect(await balanceOf(centerId)).toBe(10);
    expect(await refundForMessage(db.orm.em.fork(), { centerId, messageId: never })).toEqual({ refunded: false });
    expect(await ledgerSum(db.orm.em.fork(), centerId)).toBe(10);
    const rows = await db.orm.em.getConnection().execute<{ kind: string; amount: number }[]>(`select kind, amount from credit_ledger where center_id = ? order by kind`, [centerId]);
    expect(rows).toEqual([{ kind: 'debit', amount: -4 }, { kind: 'refund', amount: 4 }, { kind: 'topup', amount: 10 }]);
  });

  it('F1: with too few credits the debit is refused and nothing is recorded', async () => {
    const { centerId, messageIds } = await centerWithMessages(1);
    await topUp(db.orm.em.fork(), { centerId, amount: 2, note: null });
    expect(await debitForMessage(db.orm.em.fork(), { centerId, messageId: messageIds[0]!, amount: 3 })).toEqual({ ok: false, reason: 'no_credits', balance: 2 });
    expect(await balanceOf(centerId)).toBe(2);
    await expect(topUp(db.orm.em.fork(), { centerId, amount: 0, note: null })).rejects.toThrow(/amount/);
  });
});
