import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum } from '../../src/db/credits.js';
import { Appointment, Center, CreditEntry, Message, Patient } from '../../src/db/entities/index.js';
import { startEmailDispatcher, type EmailDispatcher } from '../../src/messages/dispatcher.js';
import { DISPATCH_GRACE_MS } from '../../src/messages/timing.js';
import { appointmentWorkflowId } from '../../src/workflows/definitions.js';
import { burstCenter } from '../support/burst-center.js';
import { book, cancel, createFixture, eventually, messagesOf, modify, setEvent, startEngineHarness, type EngineHarness, type Fixture } from '../support/engine.js';
import { readableText } from '../support/history-scan.js';

const MIN = 60_000;
/** The shortest reminder lead (minutes) the policy allows. */
const LEAD_MIN = 15;

const mailsOf = (h: EngineHarness, messageId: string) => h.smtp.mails.filter((m) => m.parsed.messageId === `<${messageId}@clinic.test>`).length;
const row = (h: EngineHarness, id: string) => h.db.orm.em.fork().findOneOrFail(Message, { id }, { refresh: true });
const reminderOf = async (h: EngineHarness, appointmentId: string) =>
  (await eventually(() => messagesOf(h, appointmentId), (rows) => rows.some((m) => m.eventKind === 'appointment.reminder'))).find((m) => m.eventKind === 'appointment.reminder')!;

/**
 * #13: the email dispatcher over the message store, without appointment workflows: reminders
 * prepared and paid ahead (as the workflow prepares them), then due. Real PostgreSQL and SMTP.
 */
describe('#13 email dispatcher: claims due prepared emails in batches, each once', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
  }, 180_000);
  afterAll(() => h?.stop());

  /** A center whose reminder goes by email, `n` appointments (one patient each) written directly, no workflow told. */
  async function appointments(n: number) {
    const f = await burstCenter(h.db.orm, { name: 'Dispatch Test', patients: n, channels: [] });
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: LEAD_MIN });
    const em = h.db.orm.em.fork();
    const start = Date.now() + 2 * 24 * 3600_000;
    const rows = f.patients.map((patient) =>
      em.create(Appointment, {
        centerId: f.center.id, externalId: `a-${randomUUID()}`, patientId: patient.id, resourceId: f.resource.id, serviceId: f.service.id,
        locationId: f.location.id, startAt: new Date(start), endAt: new Date(start + 1800_000), bookedAt: new Date(), revision: 1,
      }),
    );
    await em.flush();
    return { center: f.center, appointments: rows };
  }

  /** Prepared and paid now (the workflow's activity), due at `dueAt`. */
  async function prepare(appointment: Appointment, dueAt: Date): Promise<string> {
    const [ready] = await h.activities.prepareAndDebit({
      centerId: appointment.centerId, appointmentId: appointment.id, eventKind: 'appointment.reminder',
      slot: `start:${appointment.startAt.toISOString()}`, dueAt: dueAt.toISOString(), recipient: 'patient',
    });
    expect(ready?.state).toBe('ready');
    return ready!.messageId;
  }

  it('two dispatchers racing over 200 due reminders: each sent exactly once, by both, on time; one debit each', async () => {
    const { center, appointments: list } = await appointments(200);
    const ids: string[] = [];
    for (const a of list) ids.push(await prepare(a, new Date(Date.now() + 3600_000)));
    // Prepared ahead (however long that took on this machine); now all due at one instant.
    const dueAt = new Date(Date.now() + 2_000);
    await h.db.orm.em.fork().nativeUpdate(Message, { id: { $in: ids } }, { dueAt });
    expect(ids.reduce((n, id) => n + mailsOf(h, id), 0)).toBe(0);
    // A slow provider (20 ms a reply), so both dispatchers are claiming while the other sends.
    h.smtp.delayReplies(20);
    const dispatchers: EmailDispatcher[] = [1, 2].map((n) => startEmailDispatcher(h.deps, { concurrency: 20, identity: `race-${n}` }));
    try {
      const done = await eventually(
        () => h.db.orm.em.fork().count(Message, { id: { $in: ids }, status: 'sent' }),
        (n) => n === ids.length,
        90_000,
      );
      expect(done).toBe(ids.length);
    } finally {
      await Promise.all(dispatchers.map((d) => d.stop()));
      h.smtp.delayReplies(0);
    }
    const rows = await h.db.orm.em.fork().find(Message, { id: { $in: ids } });
    expect(ids.map((id) => mailsOf(h, id)).filter((n) => n !== 1)).toEqual([]);
    expect(rows.filter((m) => m.possibleDuplicate)).toEqual([]);
    // Both shared the burst, and nothing went out before its due time.
    const holders = new Set(rows.map((m) => m.claimHolder!.split(':').slice(0, 2).join(':')));
    expect([...holders].sort()).toEqual(['dispatch:race-1', 'dispatch:race-2']);
    expect(Math.min(...rows.map((m) => m.sentAt!.getTime()))).toBeGreaterThanOrEqual(dueAt.getTime() - 5);
    const lateness = rows.map((m) => m.sentAt!.getTime() - dueAt.getTime()).sort((a, b) => a - b);
    console.log(`[#13] 200 reminders, 2 dispatchers: sent p50 ${lateness[100]} ms, last ${lateness.at(-1)} ms after due`);
    // F1: one debit per message, no refund, the balance is the ledger's sum.
    const em = h.db.orm.em.fork();
    const entries = await em.find(CreditEntry, { messageId: { $in: ids } });
    expect(entries.filter((e) => e.kind === 'debit')).toHaveLength(200);
    expect(entries.filter((e) => e.kind === 'refund')).toHaveLength(0);
    expect(await ledgerSum(em, center.id)).toBe(1000 - 200);
    expect((await em.findOneOrFail(Center, { id: center.id }, { refresh: true })).creditBalance).toBe(800);
  }, 180_000);

  it('the claim leaves to the workflow what it cannot judge: cancelled or changed appointment, unpaid, opted out, switched off, not prepared ahead', async () => {
    const { appointments: list } = await appointments(6);
    const dueAt = new Date(Date.now() + 4_000);
    const ids = [];
    for (const a of list.slice(0, 5)) ids.push(await prepare(a, dueAt));
    const [plain, cancelled, changed, unpaid, optedOut] = ids as [string, string, string, string, string];
    const em = h.db.orm.em.fork();
    // Cancelled or moved by the booking system, before the workflow has heard of it.
    await em.nativeUpdate(Appointment, { id: list[1]!.id }, { status: 'cancelled', cancelledAt: new Date() });
    const moved = await em.findOneOrFail(Appointment, { id: list[2]!.id });
    moved.startAt = new Date(moved.startAt.getTime() + 3600_000);
    moved.revision += 1;
    await em.flush();
    // A row whose debit is not in the ledger (prepared, not yet paid).
    await em.nativeDelete(CreditEntry, { messageId: unpaid });
    const optedOutRow = await row(h, optedOut);
    await em.nativeUpdate(Patient, { id: optedOutRow.recipientId! }, { optedOutChannels: ['email'] });
    // A second center, switched off.
    const other = await appointments(1);
    const off = await prepare(other.appointments[0]!, dueAt);
    await em.nativeUpdate(Center, { id: other.center.id }, { communicationsEnabled: false });
    // Not prepared ahead: made when already due (a notice the workflow sends right away).
    const immediate = await prepare(list[5]!, new Date(Date.now() - 1000));

    const dispatcher = startEmailDispatcher(h.deps, { concurrency: 10, identity: 'checks' });
    try {
      await eventually(() => row(h, plain), (m) => m.status === 'sent', 30_000);
      // Give it a few more looks at the others.
      await new Promise((r) => setTimeout(r, 2_500));
    } finally {
      await dispatcher.stop();
    }
    expect(mailsOf(h, plain)).toBe(1);
    for (const [name, id] of Object.entries({ cancelled, changed, unpaid, optedOut, off, immediate })) {
      expect({ name, status: (await row(h, id)).status, mails: mailsOf(h, id) }).toEqual({ name, status: 'scheduled', mails: 0 });
    }
  }, 120_000);
});

/**
 * #13 with the workflows, in real time (Temporal dev server): the dispatcher sends the reminder
 * at its due time, the appointment's workflow records it after the grace period; a cancellation
 * or a move the workflow has not seen yet still stops the send.
 */
describe('#13 email dispatcher with the appointment workflow (dev server, real time)', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timeSkipping: false, emailDispatch: 'run' });
  }, 180_000);
  afterAll(() => h?.stop());

  async function center(): Promise<Fixture> {
    const f = await createFixture(h, { credits: 10, center: { priceEmail: 1 } });
    for (const other of ['appointment.created', 'appointment.modified', 'appointment.cancelled'] as const) await setEvent(h, f.center.id, other, []);
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: LEAD_MIN });
    return f;
  }

  it('sent by the dispatcher at its due time; the workflow then shows it sent (at that time) in its timeline, with no patient data in its history', async () => {
    const f = await center();
    const { appointment } = await book(h, f, { startInMs: LEAD_MIN * MIN + 20_000 });
    const prepared = await reminderOf(h, appointment.id);
    expect(prepared.status).toBe('scheduled');
    const sent = await eventually(() => row(h, prepared.id), (m) => m.status === 'sent', 60_000);
    expect(sent.status).toBe('sent');
    expect(mailsOf(h, prepared.id)).toBe(1);
    expect(sent.claimHolder).toMatch(/^dispatch:harness:/);
    const lateness = sent.sentAt!.getTime() - sent.dueAt.getTime();
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(5_000);

    // The workflow checks it DISPATCH_GRACE_MS after the due time and records the send.
    const timeline = await eventually(
      () => h.engine.timeline(f.center.id, appointment.id),
      (t) => (t ?? []).some((e) => e.eventKind === 'appointment.reminder' && e.state === 'sent'),
      DISPATCH_GRACE_MS + 40_000,
    );
    const entry = timeline!.find((e) => e.eventKind === 'appointment.reminder' && e.state === 'sent');
    expect(entry).toMatchObject({ channel: 'email', messageId: prepared.id, at: sent.sentAt!.toISOString() });
    expect(mailsOf(h, prepared.id)).toBe(1);
    const history = await h.env.client.workflow.getHandle(appointmentWorkflowId(f.center.id, appointment.id)).fetchHistory();
    const text = readableText(history);
    for (const secret of [f.patient.email!, f.patient.firstName, f.patient.lastName, f.patient.mobile!]) expect(text).not.toContain(secret);
    expect(await ledgerSum(h.db.orm.em.fork(), f.center.id)).toBe(9);
  }, 180_000);

  it('cancelled or moved before the due time while the workflow is down: the dispatcher sends nothing; the workflow releases it later', async () => {
    const f = await center();
    const { appointment: toCancel } = await book(h, f, { startInMs: LEAD_MIN * MIN + 25_000 });
    const { appointment: toMove } = await book(h, f, { startInMs: LEAD_MIN * MIN + 25_000 });
    const [cancelledRow, movedRow] = [await reminderOf(h, toCancel.id), await reminderOf(h, toMove.id)];
    await h.withWorkersDown(async () => {
      await cancel(h, toCancel);
      await modify(h, toMove, 3600_000);
      // Past the due time: the dispatcher runs, the workflows do not.
      await new Promise((r) => setTimeout(r, Math.max(0, cancelledRow.dueAt.getTime() - Date.now()) + 4_000));
      expect((await row(h, cancelledRow.id)).status).toBe('scheduled');
      expect((await row(h, movedRow.id)).status).toBe('scheduled');
    });
    expect(await eventually(() => row(h, cancelledRow.id), (m) => m.status === 'skipped', 60_000)).toMatchObject({ status: 'skipped', skipReason: 'cancelled' });
    expect(await eventually(() => row(h, movedRow.id), (m) => m.status === 'skipped', 60_000)).toMatchObject({ status: 'skipped', skipReason: 'superseded' });
    expect(mailsOf(h, cancelledRow.id) + mailsOf(h, movedRow.id)).toBe(0);
    // Both refunded; the moved appointment's new reminder is prepared later (its new time is an hour on).
    expect(await eventually(() => ledgerSum(h.db.orm.em.fork(), f.center.id), (n) => n === 10)).toBe(10);
  }, 180_000);
});

/** #13: marked for a dispatcher, but none runs: the workflow sends it itself after the grace period. */
describe('#13 no dispatcher running: the workflow sends the prepared email itself (time-skipping server)', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ emailDispatch: 'marked' });
  }, 180_000);
  afterAll(() => h?.stop());

  it('not sent at the due time; sent once DISPATCH_GRACE_MS later by the workflow, and shown sent', async () => {
    const f = await createFixture(h, { credits: 10, center: { priceEmail: 1 } });
    for (const other of ['appointment.created', 'appointment.modified', 'appointment.cancelled'] as const) await setEvent(h, f.center.id, other, []);
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: LEAD_MIN });
    const { appointment } = await book(h, f, { startInMs: LEAD_MIN * MIN + 5 * MIN });
    const prepared = await reminderOf(h, appointment.id);
    await h.env.sleep(5 * MIN + 5_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await row(h, prepared.id)).status).toBe('scheduled');
    expect(mailsOf(h, prepared.id)).toBe(0);
    await h.env.sleep(DISPATCH_GRACE_MS);
    const sent = await eventually(() => row(h, prepared.id), (m) => m.status === 'sent');
    expect(sent.status).toBe('sent');
    expect(sent.claimHolder).toMatch(/^appointment-/);
    expect(mailsOf(h, prepared.id)).toBe(1);
    const timeline = await eventually(() => h.engine.timeline(f.center.id, appointment.id), (t) => (t ?? []).some((e) => e.state === 'sent'));
    expect(timeline!.filter((e) => e.eventKind === 'appointment.reminder').map((e) => `${e.state}:${e.channel}`)).toEqual(['sent:email']);
    expect(await ledgerSum(h.db.orm.em.fork(), f.center.id)).toBe(9);
  }, 180_000);
});
