import { mkdirSync, writeFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import { DateTime } from 'luxon';
import { Appointment, Center } from '../../src/db/entities/index.js';
import { appointmentWorkflowId } from '../../src/workflows/definitions.js';
import { AppointmentId, AppointmentStart, CenterId } from '../../src/workflows/search-attributes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  book,
  cancel,
  commitThenTell,
  createFixture,
  eventually,
  messagesOf,
  modify,
  serverNow,
  setEvent,
  startEngineHarness,
  summary,
  type EngineHarness,
} from '../support/engine.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('appointment workflow: reminders and changes (time-skipping server)', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
  }, 180_000);
  afterAll(() => h?.stop());

  const settled = (id: string, accept: (lines: string[]) => boolean) =>
    eventually(async () => summary(await messagesOf(h, id)), accept);

  it('B1 + B2-rem: a booking is confirmed at once and reminded by email and SMS a day before', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', ['email', 'sms'], { leadMinutes: 24 * 60 });
    const { appointment } = await book(h, f, { startInMs: 3 * DAY });
    expect(await settled(appointment.id, (l) => l.includes('appointment.created:email:sent'))).toEqual(['appointment.created:email:sent']);

    await h.env.sleep(2 * DAY + HOUR);
    const lines = await settled(appointment.id, (l) => l.filter((x) => x.endsWith(':sent')).length === 3);
    expect(lines).toEqual(['appointment.created:email:sent', 'appointment.reminder:email:sent', 'appointment.reminder:sms:sent']);
    const sms = h.twilio.messages.find((m) => m.to === f.patient.mobile);
    expect(sms?.body).toContain('Giulia');
    const rows = await messagesOf(h, appointment.id);
    const reminder = rows.find((m) => m.eventKind === 'appointment.reminder' && m.channel === 'email')!;
    // Due 24 h before the start (re-planned at wake-up, so within a moment of it).
    expect(reminder.dueAt.getTime() - (appointment.startAt.getTime() - DAY)).toBeGreaterThanOrEqual(0);
    expect(reminder.dueAt.getTime() - (appointment.startAt.getTime() - DAY)).toBeLessThan(MIN);
  });

  it('B2-min: booked 4 h before with a 12 h minimum lead → no reminder, listed as skipped (E1)', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', ['sms'], { leadMinutes: 2 * 60, minimumLeadMinutes: 12 * 60 });
    const { appointment } = await book(h, f, { startInMs: 4 * HOUR });
    const lines = await settled(appointment.id, (l) => l.some((x) => x.startsWith('appointment.reminder')));
    expect(lines).toContain('appointment.reminder:sms:skipped:minimum_lead');
    const smsBefore = h.twilio.messages.length;
    await h.env.sleep(3 * HOUR);
    expect(h.twilio.messages.length).toBe(smsBefore);
  });

  it('B2-hours: a reminder due at night moves to the opening of the sending hours, still before the visit', async () => {
    const f = await createFixture(h);
    const now = DateTime.fromJSDate(await serverNow(h), { zone: 'Europe/Rome' });
    // The visit is at 10:00 Rome time three days from now; lead 7 h → due 03:00, outside 09:00–18:00.
    const visit = now.plus({ days: 3 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
    const everyDay = Object.fromEntries(['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [{ from: '09:00', to: '18:00' }]]));
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: 7 * 60, sendingHours: everyDay });
    const { appointment } = await book(h, f, { startInMs: visit.toMillis() - now.toMillis() });
    await h.env.sleep(visit.toMillis() - now.toMillis() - 30 * MIN);
    await settled(appointment.id, (l) => l.includes('appointment.reminder:email:sent'));
    const reminder = (await messagesOf(h, appointment.id)).find((m) => m.eventKind === 'appointment.reminder')!;
    expect(DateTime.fromJSDate(reminder.dueAt, { zone: 'Europe/Rome' }).toFormat('HH:mm')).toBe('09:00');
    expect(reminder.sentAt!.getTime()).toBeLessThan(appointment.startAt.getTime());
  });

  it('cancel before the reminder: the patient is told of the cancellation and no reminder goes out', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', ['email', 'sms'], { leadMinutes: 24 * 60 });
    const { appointment } = await book(h, f, { startInMs: 3 * DAY });
    await settled(appointment.id, (l) => l.includes('appointment.created:email:sent'));
    await cancel(h, appointment);
    await settled(appointment.id, (l) => l.includes('appointment.cancelled:email:sent'));
    await h.env.sleep(3 * DAY);
    const lines = summary(await messagesOf(h, appointment.id));
    expect(lines).toEqual(['appointment.cancelled:email:sent', 'appointment.created:email:sent']);
  });

  it('modify after the reminder was sent: a change notice, no repeated reminder; a later move gets a new reminder', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: 24 * 60 });
    const { appointment } = await book(h, f, { startInMs: 2 * DAY });
    await h.env.sleep(DAY + HOUR);
    await settled(appointment.id, (l) => l.includes('appointment.reminder:email:sent'));

    const moved = await modify(h, appointment, HOUR); // one hour later, same day
    await settled(moved.id, (l) => l.includes('appointment.modified:email:sent'));
    let rows = await eventually(() => messagesOf(h, appointment.id), (r) => r.some((m) => m.skipReason === 'superseded'));
    expect(rows.filter((m) => m.eventKind === 'appointment.reminder' && m.status === 'sent')).toHaveLength(1);
    expect(summary(rows, 'appointment.reminder')).toContain('appointment.reminder:email:skipped:superseded');

    await modify(h, moved, 5 * DAY); // postponed by five days: a fresh reminder the day before
    await h.env.sleep(5 * DAY + HOUR);
    rows = await eventually(
      () => messagesOf(h, appointment.id),
      (r) => r.filter((m) => m.eventKind === 'appointment.reminder' && m.status === 'sent').length === 2,
    );
    expect(rows.filter((m) => m.eventKind === 'appointment.reminder' && m.status === 'sent')).toHaveLength(2);
    expect(rows.filter((m) => m.eventKind === 'appointment.modified' && m.status === 'sent')).toHaveLength(2);
  });

  it('X5: a repeated or stale revision changes nothing and sends nothing twice', async () => {
    const f = await createFixture(h);
    const { appointment, snapshot } = await book(h, f, { startInMs: 5 * DAY });
    await settled(appointment.id, (l) => l.includes('appointment.created:email:sent'));
    await h.engine.appointmentChanged(snapshot);
    await h.engine.appointmentChanged(snapshot, { created: true }); // a retried create: the workflow already runs
    await h.engine.appointmentChanged({ ...snapshot, revision: 0, startAt: new Date(0).toISOString() });
    await h.env.sleep(MIN);
    expect(summary(await messagesOf(h, appointment.id))).toEqual(['appointment.created:email:sent']);

    // A "created" that is really newer reaches the running workflow as a change.
    const moved = { ...snapshot, revision: 2, startAt: new Date(Date.parse(snapshot.startAt) + HOUR).toISOString(), endAt: new Date(Date.parse(snapshot.endAt) + HOUR).toISOString() };
    await commitThenTell(h, async (em) => {
      await em.nativeUpdate(Appointment, { id: appointment.id }, { revision: 2, startAt: new Date(moved.startAt), endAt: new Date(moved.endAt) });
      return [{ type: 'appointmentChanged', snapshot: moved, created: true }];
    });
    expect(await settled(appointment.id, (l) => l.includes('appointment.modified:email:sent'))).toEqual(['appointment.created:email:sent', 'appointment.modified:email:sent']);
  });

  it('#13: a new appointment with no booking messages to send is planned and asleep after one workflow task with one local activity, its ids upserted once', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.created', []); // an import: no confirmations
    const { appointment } = await book(h, f, { startInMs: 10 * DAY });
    const handle = h.env.client.workflow.getHandle(appointmentWorkflowId(f.center.id, appointment.id));
    const history = await eventually(() => handle.fetchHistory(), (hist) => (hist.events ?? []).some((e) => e.timerStartedEventAttributes));
    const events = history.events ?? [];
    const { EVENT_TYPE_WORKFLOW_TASK_COMPLETED, EVENT_TYPE_ACTIVITY_TASK_SCHEDULED } = temporal.api.enums.v1.EventType;
    expect(events.filter((e) => e.eventType === EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toHaveLength(1);
    expect(events.filter((e) => e.eventType === EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toHaveLength(0);
    // The policy read; no prepare for the confirmation (off) nor the resource's notice (off by default).
    expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(1);
    expect(await messagesOf(h, appointment.id)).toEqual([]);
    const idUpserts = events.filter((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).includes('AppointmentId'));
    expect(idUpserts).toHaveLength(1);
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect([attributes.get(CenterId), attributes.get(AppointmentId), attributes.get(AppointmentStart)]).toEqual([f.center.id, appointment.externalId, appointment.startAt]);
    if (process.env.UPDATE_HISTORIES) {
      mkdirSync('test/histories', { recursive: true });
      writeFileSync('test/histories/appointment-one-task-plan.binpb', temporal.api.history.v1.History.encode(history).finish());
    }
  });

  it('X6: a new appointment whose booking confirmation cannot go out yet (the mail server refuses it for now) is found by its ids meanwhile', async () => {
    const f = await createFixture(h);
    h.smtp.failAlways({ code: 451, stage: 'rcpt', message: 'Try again later' });
    try {
      const { appointment } = await book(h, f, { startInMs: 10 * DAY });
      const handle = h.env.client.workflow.getHandle(appointmentWorkflowId(f.center.id, appointment.id));
      // The send retries inside the workflow task; the ids reach the server with its next heartbeat at the latest.
      const attributes = await eventually(async () => (await handle.describe()).typedSearchAttributes, (a) => a.get(CenterId) === f.center.id, 30_000);
      expect(attributes.get(AppointmentId)).toBe(appointment.externalId);
      expect(summary(await messagesOf(h, appointment.id)).filter((l) => l.endsWith(':sent'))).toEqual([]);
      h.smtp.failAlways(null);
      await settled(appointment.id, (l) => l.includes('appointment.created:email:sent'));
    } finally {
      h.smtp.failAlways(null);
    }
  }, 90_000);

  it('X3: an activity told of newer settings or a newer revision than it can read fails retryably (StaleRead), never plans from the old rows', async () => {
    const f = await createFixture(h);
    const { appointment } = await book(h, f, { startInMs: 4 * DAY });
    const ids = { centerId: f.center.id, appointmentId: appointment.id };
    const { settingsVersion } = await h.db.orm.em.fork().findOneOrFail(Center, { id: f.center.id });
    await expect(h.activities.loadAppointmentPolicy({ ...ids, minSettingsVersion: settingsVersion + 1 })).rejects.toMatchObject({ type: 'StaleRead', nonRetryable: false });
    await expect(h.activities.loadAppointmentPolicy({ ...ids, minRevision: appointment.revision + 1 })).rejects.toMatchObject({ type: 'StaleRead' });
    const prepare = { ...ids, eventKind: 'appointment.reminder' as const, slot: 'stale', dueAt: new Date().toISOString(), recipient: 'patient' as const };
    await expect(h.activities.prepareMessages({ ...prepare, minSettingsVersion: settingsVersion + 1 })).rejects.toMatchObject({ type: 'StaleRead' });
    expect(await h.activities.loadAppointmentPolicy({ ...ids, minSettingsVersion: settingsVersion, minRevision: appointment.revision })).toMatchObject({ timeZone: 'Europe/Rome' });
  });

  it('X3: a longer lead time set after booking applies to the appointment already booked', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: 24 * 60 });
    const { appointment } = await book(h, f, { startInMs: 4 * DAY });
    await settled(appointment.id, (l) => l.includes('appointment.created:email:sent'));
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: 3 * 24 * 60 });
    await h.env.sleep(DAY + HOUR);
    const rows = await eventually(() => messagesOf(h, appointment.id), (r) => r.some((m) => m.eventKind === 'appointment.reminder'));
    const reminder = rows.find((m) => m.eventKind === 'appointment.reminder')!;
    expect(reminder.status).toBe('sent');
    expect(reminder.dueAt.getTime() - (appointment.startAt.getTime() - 3 * DAY)).toBeGreaterThanOrEqual(0);
    expect(reminder.dueAt.getTime() - (appointment.startAt.getTime() - 3 * DAY)).toBeLessThan(MIN);
  });
});
