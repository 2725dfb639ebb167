import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum } from '../../src/db/credits.js';
import { CreditEntry, type Message } from '../../src/db/entities/index.js';
import { mergeTimeline } from '../../src/api/routes/appointments.js';
import { book, cancel, createFixture, eventually, messagesOf, modify, setEvent, startEngineHarness, summary, type EngineHarness } from '../support/engine.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/**
 * A reminder is prepared (rules, text, row) and paid up to 10 minutes before it is due, so only
 * the send is left at the due instant. A change inside that window must neither send the stale
 * text nor keep its credits.
 */
describe('B2-rem F1: reminders prepared ahead of their due time (time-skipping server)', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
  }, 180_000);
  afterAll(() => h?.stop());

  const reminders = (rows: Message[]) => rows.filter((m) => m.eventKind === 'appointment.reminder');
  const mailed = (messageId: string) => h.smtp.mails.filter((m) => m.parsed.messageId?.startsWith(`<${messageId}@`)).length;
  const ledgerOf = (messageId: string) =>
    h.db.orm.em.fork().find(CreditEntry, { messageId }, { orderBy: { createdAt: 'asc' } }).then((rows) => rows.map((r) => `${r.kind}:${r.amount}`));

  /** Booked so that the reminder (24 h lead) falls due 5 minutes from now: inside the window. */
  async function bookInsideWindow() {
    const f = await createFixture(h, { credits: 10, center: { priceEmail: 1 } });
    // Only the reminder costs credits here, so the balance tells its story alone.
    for (const other of ['appointment.created', 'appointment.modified', 'appointment.cancelled'] as const) await setEvent(h, f.center.id, other, []);
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: 24 * 60 });
    const { appointment } = await book(h, f, { startInMs: DAY + 5 * MIN });
    const [prepared] = reminders(await eventually(() => messagesOf(h, appointment.id), (rows) => reminders(rows).length === 1));
    return { f, appointment, prepared: prepared! };
  }

  it('B2-rem F1: the reminder row is written and paid before it is due, and sent once when due', async () => {
    const { f, appointment, prepared } = await bookInsideWindow();
    expect(prepared.status).toBe('scheduled');
    expect(await eventually(() => ledgerOf(prepared.id), (l) => l.length === 1)).toEqual(['debit:-1']);
    expect(mailed(prepared.id)).toBe(0);

    await h.env.sleep(6 * MIN);
    const rows = await eventually(() => messagesOf(h, appointment.id), (r) => reminders(r).some((m) => m.status === 'sent'));
    expect(summary(rows)).toEqual(['appointment.reminder:email:sent']);
    expect(reminders(rows)[0]!.id).toBe(prepared.id);
    expect(mailed(prepared.id)).toBe(1);
    expect(await ledgerOf(prepared.id)).toEqual(['debit:-1']);
    expect(await ledgerSum(h.db.orm.em.fork(), f.center.id)).toBe(9);
  });

  it('B2-rem X3 F1: a move inside the window supersedes the prepared reminder, refunds it, and the new one goes out at the new time', async () => {
    const { f, appointment, prepared } = await bookInsideWindow();
    await eventually(() => ledgerOf(prepared.id), (l) => l.length === 1);
    const moved = await modify(h, appointment, HOUR);

    const released = await eventually(() => ledgerOf(prepared.id), (l) => l.length === 2);
    expect(released).toEqual(['debit:-1', 'refund:1']);
    await h.env.sleep(HOUR + 10 * MIN);
    const rows = await eventually(() => messagesOf(h, appointment.id), (r) => reminders(r).some((m) => m.status === 'sent'));
    expect(summary(rows, 'appointment.reminder')).toEqual(['appointment.reminder:email:sent', 'appointment.reminder:email:skipped:superseded']);
    const sent = reminders(rows).find((m) => m.status === 'sent')!;
    expect(sent.dueAt.getTime()).toBe(moved.startAt.getTime() - DAY);
    expect(mailed(prepared.id)).toBe(0);
    expect(mailed(sent.id)).toBe(1);
    expect(await ledgerSum(h.db.orm.em.fork(), f.center.id)).toBe(9);
  });

  it('X6: while prepared ahead, the reminder shows once per channel in the timeline (its row, not also the plan)', async () => {
    const { f, appointment, prepared } = await bookInsideWindow();
    const planned = await h.engine.timeline(f.center.id, appointment.id);
    expect(planned?.some((e) => e.eventKind === 'appointment.reminder' && e.state === 'planned')).toBe(true); // the engine still plans it
    const entries = mergeTimeline(planned ?? [], await messagesOf(h, appointment.id)).filter((e) => e.eventKind === 'appointment.reminder');
    expect(entries.map((e) => `${e.source}:${e.channel}:${e.state}`)).toEqual(['message:email:scheduled']);
    expect(entries[0]!.messageId).toBe(prepared.id);
  });

  it('B2-rem F1 E1: a cancellation inside the window sends no reminder, gives its credits back, and lists it as skipped: cancelled', async () => {
    const { f, appointment, prepared } = await bookInsideWindow();
    await eventually(() => ledgerOf(prepared.id), (l) => l.length === 1);
    await cancel(h, appointment);
    await eventually(() => ledgerOf(prepared.id), (l) => l.length === 2);
    await h.env.sleep(30 * MIN);
    const rows = await messagesOf(h, appointment.id);
    expect(summary(rows, 'appointment.reminder')).toEqual(['appointment.reminder:email:skipped:cancelled']);
    expect(mailed(prepared.id)).toBe(0);
    expect(await ledgerSum(h.db.orm.em.fork(), f.center.id)).toBe(10);
  });
});
