import { outboxBacklog } from '../../src/db/outbox.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppointmentSnapshot } from '../../src/engine/port.js';
import { Message } from '../../src/db/entities/index.js';
import { apiHarness, expectProblem, PLATFORM_KEY, type ApiHarness } from '../support/api.js';

describe('API appointments', () => {
  let h: ApiHarness;
  let a: Awaited<ReturnType<ApiHarness['newCenter']>>;
  let b: Awaited<ReturnType<ApiHarness['newCenter']>>;
  const booking = { revision: 1, patientId: 'p1', resourceId: 'r1', serviceId: 's1', locationId: 'l1', startAt: '2026-12-01T09:00:00+01:00', endAt: '2026-12-01T09:30:00+01:00' };

  beforeAll(async () => {
    h = await apiHarness();
    a = await h.newCenter('Centro A');
    b = await h.newCenter('Centro B');
    for (const c of [a, b]) {
      await h.call('PUT', '/v1/patients/p1', { key: c.bookingKey, body: { firstName: 'Maria', mobile: '+393331234567' } });
      await h.call('PUT', '/v1/resources/r1', { key: c.bookingKey, body: { name: 'Dott. Bianchi' } });
      await h.call('PUT', '/v1/services/s1', { key: c.bookingKey, body: { name: 'Visita' } });
      await h.call('PUT', '/v1/locations/l1', { key: c.bookingKey, body: { site: 'Prati' } });
    }
    await h.call('PUT', '/v1/patients/only-in-b', { key: b.bookingKey, body: { firstName: 'Bea' } });
  });
  afterAll(() => h?.close());

  it('B1: PUT creates the appointment and tells the engine with ids and times only', async () => {
    h.engine.calls = [];
    const res = await h.call('PUT', '/v1/appointments/a1', { key: a.bookingKey, body: { ...booking, notes: 'Portare esami', bookedOnline: true, bookedAt: '2026-11-20T10:00:00Z' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe('created');
    expect(res.body.appointment).toMatchObject({
      id: 'a1', patientId: 'p1', resourceId: 'r1', serviceId: 's1', locationId: 'l1',
      startAt: '2026-12-01T08:00:00.000Z', endAt: '2026-12-01T08:30:00.000Z', status: 'booked', revision: 1, bookedOnline: true, notes: 'Portare esami',
    });
    const [[snapshot]] = h.engine.callsOf('appointmentChanged') as [[AppointmentSnapshot]];
    expect(snapshot).toMatchObject({ centerId: a.id, revision: 1, startAt: '2026-12-01T08:00:00.000Z', bookedAt: '2026-11-20T10:00:00.000Z', bookedOnline: true });
    expect(Object.keys(snapshot).sort()).toEqual(['appointmentId', 'bookedAt', 'bookedOnline', 'bookingIds', 'centerId', 'endAt', 'locationId', 'patientId', 'resourceId', 'revision', 'serviceId', 'startAt']);
    // X6: the booking system's own ids, for operators to search by in the Web UI.
    expect(snapshot.bookingIds).toEqual({ appointment: 'a1', patient: 'p1', resource: 'r1' });
    // No patient data in what goes to the engine (and so to Temporal history).
    expect(JSON.stringify(snapshot)).not.toMatch(/Maria|Bianchi|Portare|\+39/);
    expect((await h.call('GET', '/v1/appointments/a1', { key: a.bookingKey })).body).toEqual(res.body.appointment);
  });

  it('B1 X5: a newer revision modifies; the same or an older revision changes nothing and answers ignored', async () => {
    h.engine.calls = [];
    const moved = await h.call('PUT', '/v1/appointments/a1', { key: a.bookingKey, body: { ...booking, revision: 3, startAt: '2026-12-02T09:00:00+01:00', endAt: '2026-12-02T09:30:00+01:00' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ status: 'updated', appointment: { revision: 3, startAt: '2026-12-02T08:00:00.000Z' } });
    expect(h.engine.callsOf('appointmentChanged')).toHaveLength(1);
    const before = await h.fingerprint();
    for (const revision of [3, 2]) {
      const stale = await h.call('PUT', '/v1/appointments/a1', { key: a.bookingKey, body: { ...booking, revision } });
      expect(stale.status).toBe(200);
      expect(stale.body).toMatchObject({ status: 'ignored', appointment: { revision: 3, startAt: '2026-12-02T08:00:00.000Z' } });
    }
    expect(await h.fingerprint()).toBe(before);
    expect(h.engine.callsOf('appointmentChanged')).toHaveLength(1);
  });

  it('appointment input errors → 400 naming the field; unknown directory ids → 422 naming the field; nothing changed, engine not called', async () => {
    h.engine.calls = [];
    const before = await h.fingerprint();
    const put = (body: unknown, key = a.bookingKey) => h.call('PUT', '/v1/appointments/new-1', { key, body });
    const { revision: _r, ...noRevision } = booking;
    expectProblem(await put(noRevision), 400, 'revision');
    expectProblem(await put({ ...booking, revision: '1' }), 400, 'revision');
    expectProblem(await put({ ...booking, startAt: '01/12/2026 09:00' }), 400, 'startAt');
    expectProblem(await put({ ...booking, endAt: '2026-12-01T08:00:00+01:00' }), 400, 'endAt');
    expectProblem(await put({ ...booking, room: 4 }), 400, 'room');
    expectProblem(await put({ ...booking, patientId: 'nobody' }), 422, 'patientId');
    expectProblem(await put({ ...booking, resourceId: 'nobody' }), 422, 'resourceId');
    expectProblem(await put({ ...booking, serviceId: 'nobody' }), 422, 'serviceId');
    expectProblem(await put({ ...booking, locationId: 'nobody' }), 422, 'locationId');
    // Another center's patient is not there for this center.
    expectProblem(await put({ ...booking, patientId: 'only-in-b' }), 422, 'patientId');
    expectProblem(await put(booking, PLATFORM_KEY), 403);
    expectProblem(await h.call('PUT', '/v1/appointments/new-1', { body: booking }), 401);
    expect(await h.fingerprint()).toBe(before);
    expect(h.engine.calls).toEqual([]);
  });

  it('another center’s appointment is not found (404) on every appointment route', async () => {
    await h.call('PUT', '/v1/appointments/a-b', { key: b.bookingKey, body: booking });
    const before = await h.fingerprint();
    expectProblem(await h.call('GET', '/v1/appointments/a-b', { key: a.bookingKey }), 404);
    expectProblem(await h.call('POST', '/v1/appointments/a-b/cancel', { key: a.bookingKey }), 404);
    expectProblem(await h.call('POST', '/v1/appointments/a-b/attendance', { key: a.bookingKey, body: { attended: true } }), 404);
    expectProblem(await h.call('PUT', '/v1/appointments/a-b/recall-interval', { key: a.bookingKey, body: { days: 30 } }), 404);
    expectProblem(await h.call('GET', '/v1/appointments/a-b/timeline', { key: a.adminKey }), 404);
    expect(await h.fingerprint()).toBe(before);
  });

  it('B1: cancel marks it cancelled and tells the engine once; cancelling again changes nothing; a later modification → 409', async () => {
    await h.call('PUT', '/v1/appointments/a2', { key: a.bookingKey, body: booking });
    h.engine.calls = [];
    const res = await h.call('POST', '/v1/appointments/a2/cancel', { key: a.bookingKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String) });
    const before = await h.fingerprint();
    expect((await h.call('POST', '/v1/appointments/a2/cancel', { key: a.bookingKey })).body.status).toBe('cancelled');
    expect(h.engine.callsOf('appointmentCancelled')).toHaveLength(1);
    const [[centerId, , eventId]] = h.engine.callsOf('appointmentCancelled') as [[string, string, string]];
    expect(centerId).toBe(a.id);
    expect(eventId).toMatch(/^cancel:/);
    expectProblem(await h.call('PUT', '/v1/appointments/a2', { key: a.bookingKey, body: { ...booking, revision: 2 } }), 409);
    expectProblem(await h.call('POST', '/v1/appointments/a2/attendance', { key: a.bookingKey, body: { attended: true } }), 409);
    expect(await h.fingerprint()).toBe(before);
    expect(h.engine.callsOf('appointmentChanged')).toHaveLength(0);
  });

  it('X5: cancel with an Idempotency-Key replays the first answer', async () => {
    await h.call('PUT', '/v1/appointments/a3', { key: a.bookingKey, body: booking });
    const headers = { 'idempotency-key': 'cancel-a3' };
    const first = await h.call('POST', '/v1/appointments/a3/cancel', { key: a.bookingKey, headers });
    const again = await h.call('POST', '/v1/appointments/a3/cancel', { key: a.bookingKey, headers });
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // The same key on another route is a different request → 422.
    expectProblem(await h.call('POST', '/v1/appointments/a1/cancel', { key: a.bookingKey, headers }), 422, 'Idempotency-Key');
    expect((await h.call('GET', '/v1/appointments/a1', { key: a.bookingKey })).body.status).toBe('booked');
  });

  it('commit first, then the engine: with Temporal unreachable the change is accepted and its command reaches the engine once it is back', async () => {
    h.engine.calls = [];
    h.engine.failNext = new Error('temporal unreachable');
    const accepted = await h.call('PUT', '/v1/appointments/a4', { key: a.bookingKey, body: booking });
    expect(accepted.status).toBe(201);
    expect(h.engine.callsOf('appointmentChanged')).toEqual([]);
    expect(await outboxBacklog(h.db.orm.em.fork())).toMatchObject({ pending: 1, failing: 1 });
    // The booking system's retry is a repeat (same revision): nothing new to tell.
    expect((await h.call('PUT', '/v1/appointments/a4', { key: a.bookingKey, body: booking })).body.status).toBe('ignored');
    await new Promise((r) => setTimeout(r, 600)); // the first back-off (0.5 s)
    await h.relay.drain();
    expect(h.engine.callsOf('appointmentChanged')).toHaveLength(1);
    expect(await outboxBacklog(h.db.orm.em.fork())).toMatchObject({ pending: 0 });
  });

  it('B3 B2-second: attendance records attended / no-show and tells the engine; bad input → 400 naming the field', async () => {
    await h.call('PUT', '/v1/appointments/a5', { key: a.bookingKey, body: booking });
    h.engine.calls = [];
    const res = await h.call('POST', '/v1/appointments/a5/attendance', { key: a.bookingKey, body: { attended: false } });
    expect(res.body.status).toBe('no_show');
    expect(h.engine.callsOf('attendance')).toEqual([[a.id, expect.any(String), false, expect.any(String)]]);
    const before = await h.fingerprint();
    expectProblem(await h.call('POST', '/v1/appointments/a5/attendance', { key: a.bookingKey, body: {} }), 400, 'attended');
    expectProblem(await h.call('POST', '/v1/appointments/a5/attendance', { key: a.bookingKey, body: { attended: 'yes' } }), 400, 'attended');
    expectProblem(await h.call('POST', '/v1/appointments/a5/attendance', { key: a.bookingKey, body: { attended: true, late: true } }), 400, 'late');
    expectProblem(await h.call('POST', '/v1/appointments/a5/attendance', { key: PLATFORM_KEY, body: { attended: true } }), 403);
    expectProblem(await h.call('POST', '/v1/appointments/a5/attendance', { body: { attended: true } }), 401);
    expect(await h.fingerprint()).toBe(before);
  });

  it('B2-recall: a manual recall interval is stored on the appointment; null clears it; bad input → 400', async () => {
    const set = await h.call('PUT', '/v1/appointments/a1/recall-interval', { key: a.bookingKey, body: { days: 180 } });
    expect(set.body.recallIntervalDays).toBe(180);
    const cleared = await h.call('PUT', '/v1/appointments/a1/recall-interval', { key: a.bookingKey, body: { days: null } });
    expect(cleared.body.recallIntervalDays).toBeNull();
    const before = await h.fingerprint();
    expectProblem(await h.call('PUT', '/v1/appointments/a1/recall-interval', { key: a.bookingKey, body: {} }), 400, 'days');
    expectProblem(await h.call('PUT', '/v1/appointments/a1/recall-interval', { key: a.bookingKey, body: { days: 0 } }), 400, 'days');
    expectProblem(await h.call('PUT', '/v1/appointments/a1/recall-interval', { key: a.bookingKey, body: { days: 30, weeks: 1 } }), 400, 'weeks');
    expect(await h.fingerprint()).toBe(before);
  });

  it('X6: the timeline merges the engine’s plan with the stored messages, in time order, and links the workflow in the Web UI', async () => {
    const appointment = (await h.call('PUT', '/v1/appointments/a6', { key: a.bookingKey, body: booking })).body.appointment;
    expect(appointment.id).toBe('a6');
    const em = h.db.orm.em.fork();
    const row = await em.getConnection().execute<{ id: string; patient_id: string }[]>(`select id, patient_id from appointments where external_id = 'a6' and center_id = ?`, [a.id]);
    const internalId = row[0]!.id;
    const sent = em.create(Message, {
      centerId: a.id, idempotencyKey: 'tl-1', appointmentId: internalId, eventKind: 'appointment.created', channel: 'email',
      recipientKind: 'patient', recipientId: row[0]!.patient_id, dueAt: new Date('2026-11-25T10:00:00Z'), status: 'sent', sentAt: new Date('2026-11-25T10:00:05Z'),
    });
    await em.flush();
    h.engine.timelines.set(internalId, [
      { eventKind: 'appointment.reminder', state: 'planned', at: '2026-11-30T08:00:00.000Z', channel: 'sms' },
      { eventKind: 'appointment.created', state: 'sent', at: '2026-11-25T10:00:05.000Z', channel: 'email', messageId: sent.id },
    ]);
    const res = await h.call('GET', '/v1/appointments/a6/timeline', { key: a.adminKey });
    expect(res.status).toBe(200);
    expect(res.body.hasWorkflow).toBe(true);
    expect(res.body.workflowId).toBe(`appointment-${a.id}-${internalId}`);
    expect(res.body.webUiUrl).toBe(`http://temporal-ui.test:8233/namespaces/clinics/workflows/appointment-${a.id}-${internalId}`);
    expect(res.body.entries).toEqual([
      expect.objectContaining({ eventKind: 'appointment.created', state: 'sent', source: 'message', messageId: sent.id, at: '2026-11-25T10:00:05.000Z' }),
      expect.objectContaining({ eventKind: 'appointment.reminder', state: 'planned', source: 'engine', channel: 'sms' }),
    ]);
    const none = await h.call('GET', '/v1/appointments/a1/timeline', { key: a.adminKey });
    expect(none.body).toMatchObject({ appointmentId: 'a1', hasWorkflow: false, plannedUnavailable: false, entries: [] });

    // The workflow's worker just died: the query fails, the sent messages are still shown.
    const timeline = h.engine.timeline;
    h.engine.timeline = () => Promise.reject(new Error('query timed out'));
    try {
      const down = await h.call('GET', '/v1/appointments/a6/timeline', { key: a.adminKey });
      expect(down.status).toBe(200);
      expect(down.body).toMatchObject({ hasWorkflow: true, plannedUnavailable: true });
      expect(down.body.entries).toEqual([expect.objectContaining({ eventKind: 'appointment.created', state: 'sent', source: 'message', messageId: sent.id })]);
    } finally {
      h.engine.timeline = timeline;
    }
  });

  it('lists appointments newest first, optionally of one patient', async () => {
    const all = await h.call('GET', '/v1/appointments?limit=200', { key: a.bookingKey });
    expect(all.body.data.length).toBeGreaterThanOrEqual(5);
    const mine = await h.call('GET', '/v1/appointments?patientId=p1', { key: b.bookingKey });
    expect(mine.body.data.map((x: { id: string }) => x.id)).toEqual(['a-b']);
    expectProblem(await h.call('GET', '/v1/appointments?patient=p1', { key: b.bookingKey }), 400, 'patient');
  });
});
