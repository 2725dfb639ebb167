import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, MessageEvent } from '../../src/db/entities/index.js';
import type { PasswordMessageRequest } from '../../src/engine/port.js';
import { apiHarness, expectProblem, PLATFORM_KEY, type ApiHarness, type CallResult } from '../support/api.js';

describe('API alerts (B4), messages (E1) and password messages (B7)', () => {
  let h: ApiHarness;
  let a: Awaited<ReturnType<ApiHarness['newCenter']>>;
  let b: Awaited<ReturnType<ApiHarness['newCenter']>>;

  beforeAll(async () => {
    h = await apiHarness();
    a = await h.newCenter('Centro A');
    b = await h.newCenter('Centro B');
    for (const c of [a, b]) {
      await h.call('PUT', '/v1/patients/p1', { key: c.bookingKey, body: { firstName: 'Maria', mobile: '+393331234567', email: 'maria@example.com' } });
      await h.call('PUT', '/v1/resources/r1', { key: c.bookingKey, body: { name: 'Dott. Bianchi' } });
      await h.call('PUT', '/v1/appointments/a1', { key: c.bookingKey, body: { revision: 1, patientId: 'p1', resourceId: 'r1', startAt: '2026-12-01T09:00:00+01:00', endAt: '2026-12-01T09:30:00+01:00' } });
    }
  });
  afterAll(() => h?.close());

  it('B4: a delay alert is recorded, handed to the engine, answered 202 with its id; progress comes from the engine', async () => {
    h.engine.calls = [];
    const res = await h.call('POST', '/v1/alerts', { key: a.bookingKey, body: { resourceId: 'r1', day: '2026-12-01', kind: 'delay', delayMinutes: 30 } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ resourceId: 'r1', day: '2026-12-01', kind: 'delay', delayMinutes: 30 });
    const [[input]] = h.engine.callsOf('resourceAlert') as [[{ alertId: string; centerId: string; kind: string; delayMinutes: number }]];
    expect(input).toMatchObject({ alertId: res.body.id, centerId: a.id, kind: 'delay', delayMinutes: 30, day: '2026-12-01' });
    h.engine.progress.set(res.body.id, { alertId: res.body.id, affected: 12, notified: 5, done: false });
    const progress = await h.call('GET', `/v1/alerts/${res.body.id}`, { key: a.bookingKey });
    expect(progress.body.progress).toEqual({ affected: 12, notified: 5, done: false });
    expectProblem(await h.call('GET', `/v1/alerts/${res.body.id}`, { key: b.bookingKey }), 404);
    expectProblem(await h.call('GET', '/v1/alerts/not-a-uuid', { key: a.bookingKey }), 404);
    const list = await h.call('GET', '/v1/alerts', { key: a.adminKey });
    expect(list.body.data.map((x: { id: string }) => x.id)).toEqual([res.body.id]);
  });

  it('B4: an absence needs no delay; bad alerts → 400/422 naming the field; nothing changed, engine not called', async () => {
    const absence = await h.call('POST', '/v1/alerts', { key: a.bookingKey, body: { resourceId: 'r1', day: '2026-12-02', kind: 'absence' } });
    expect(absence.status).toBe(202);
    h.engine.calls = [];
    const before = await h.fingerprint();
    const post = (body: unknown, key: string | null = a.bookingKey) => h.call('POST', '/v1/alerts', { key, body });
    expectProblem(await post({ resourceId: 'r1', day: '2026-12-01', kind: 'delay' }), 400, 'delayMinutes');
    expectProblem(await post({ resourceId: 'r1', day: '2026-12-01', kind: 'absence', delayMinutes: 10 }), 400, 'delayMinutes');
    expectProblem(await post({ resourceId: 'r1', day: '01/12/2026', kind: 'absence' }), 400, 'day');
    expectProblem(await post({ resourceId: 'r1', day: '2026-12-01', kind: 'holiday' }), 400, 'kind');
    expectProblem(await post({ day: '2026-12-01', kind: 'absence' }), 400, 'resourceId');
    expectProblem(await post({ resourceId: 'r1', day: '2026-12-01', kind: 'absence', reason: 'flu' }), 400, 'reason');
    expectProblem(await post({ resourceId: 'r1', day: '2026-12-01', kind: 'delay', delayMinutes: '30' }), 400, 'delayMinutes');
    expectProblem(await post({ resourceId: 'nobody', day: '2026-12-01', kind: 'absence' }), 422, 'resourceId');
    expectProblem(await post({ resourceId: 'r1', day: '2026-12-01', kind: 'absence' }, PLATFORM_KEY), 403);
    expectProblem(await post({ resourceId: 'r1', day: '2026-12-01', kind: 'absence' }, null), 401);
    expect(await h.fingerprint()).toBe(before);
    expect(h.engine.calls).toEqual([]);
  });

  it('X5: an alert repeated with the same Idempotency-Key is started once', async () => {
    h.engine.calls = [];
    const headers = { 'idempotency-key': 'alert-r1-delay' };
    const body = { resourceId: 'r1', day: '2026-12-03', kind: 'delay', delayMinutes: 15 };
    const first = await h.call('POST', '/v1/alerts', { key: a.bookingKey, headers, body });
    const again = await h.call('POST', '/v1/alerts', { key: a.bookingKey, headers, body });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(h.engine.callsOf('resourceAlert')).toHaveLength(1);
  });

  describe('E1 message summary', () => {
    let ids: { sent: string; skipped: string; other: string };
    beforeAll(async () => {
      const em = h.db.orm.em.fork();
      const [appt] = await em.getConnection().execute<{ id: string; patient_id: string }[]>(`select id, patient_id from appointments where center_id = ? and external_id = 'a1'`, [a.id]);
      const [apptB] = await em.getConnection().execute<{ id: string; patient_id: string }[]>(`select id, patient_id from appointments where center_id = ? and external_id = 'a1'`, [b.id]);
      const base = { appointmentId: appt!.id, recipientKind: 'patient' as const, recipientId: appt!.patient_id };
      const sent = em.create(Message, {
        ...base, centerId: a.id, idempotencyKey: 'e1-sent', eventKind: 'appointment.reminder', channel: 'email', recipientAddress: 'maria@example.com',
        subject: 'Promemoria', body: 'Gentile Maria…', status: 'read', credits: 0, dueAt: new Date('2026-11-30T08:00:00Z'), sentAt: new Date('2026-11-30T08:00:02Z'),
        readAt: new Date('2026-11-30T09:00:00Z'), openCount: 2,
      });
      const skipped = em.create(Message, {
        ...base, centerId: a.id, idempotencyKey: 'e1-skipped', eventKind: 'appointment.reminder', channel: 'sms', recipientAddress: '+393331234567',
        status: 'skipped', skipReason: 'sending_hours', dueAt: new Date('2026-11-30T23:00:00Z'),
      });
      const other = em.create(Message, {
        centerId: b.id, idempotencyKey: 'e1-other', appointmentId: apptB!.id, recipientKind: 'patient', recipientId: apptB!.patient_id,
        eventKind: 'appointment.created', channel: 'sms', status: 'sent', dueAt: new Date('2026-11-20T08:00:00Z'),
      });
      await em.flush();
      em.create(MessageEvent, { messageId: sent.id, status: 'sent', detail: null, createdAt: new Date('2026-11-30T08:00:02Z') });
      em.create(MessageEvent, { messageId: sent.id, status: 'opened', detail: null, createdAt: new Date('2026-11-30T09:00:00Z') });
      await em.flush();
      ids = { sent: sent.id, skipped: skipped.id, other: other.id };
    });

    it('E1: lists the center’s messages with recipient, event, channel, text, status, skip reason, credits; never another center’s', async () => {
      const res = await h.call('GET', '/v1/messages', { key: a.adminKey });
      expect(res.status).toBe(200);
      expect(res.body.data.map((m: { id: string }) => m.id).sort()).toEqual([ids.sent, ids.skipped].sort());
      const skipped = res.body.data.find((m: { id: string }) => m.id === ids.skipped);
      expect(skipped).toMatchObject({
        appointmentId: 'a1', eventKind: 'appointment.reminder', channel: 'sms', status: 'skipped', skipReason: 'sending_hours',
        recipient: { kind: 'patient', id: 'p1', address: '+393331234567' }, read: null,
      });
    });

    it('E1 A4-read: email opens are shown as a hint, marked as not reliable proof', async () => {
      const res = await h.call('GET', `/v1/messages/${ids.sent}`, { key: a.adminKey });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'read', text: 'Gentile Maria…', subject: 'Promemoria', read: { opens: 2, firstOpenedAt: '2026-11-30T09:00:00.000Z', reliable: false } });
      expect(res.body.read.note).toMatch(/not proof|hint/i);
      expect(res.body.history.map((e: { status: string }) => e.status)).toEqual(['opened', 'sent']);
      expect(res.body.historyNextCursor).toBeNull();
    });

    it('E1: filters by status, channel, event, recipient, appointment and dates (a date is a whole day in the center’s zone)', async () => {
      const q = async (query: string) => (await h.call('GET', `/v1/messages?${query}`, { key: a.adminKey })).body.data.map((m: { id: string }) => m.id);
      expect(await q('status=skipped')).toEqual([ids.skipped]);
      expect(await q('channel=email')).toEqual([ids.sent]);
      expect(await q('eventKind=appointment.created')).toEqual([]);
      expect((await q('recipientId=p1')).sort()).toEqual([ids.sent, ids.skipped].sort());
      expect(await q('recipientId=p1&recipientKind=resource')).toEqual([]);
      expect((await q('appointmentId=a1')).sort()).toEqual([ids.sent, ids.skipped].sort());
      expect(await q('appointmentId=unknown')).toEqual([]);
      // 23:00Z on 30 Nov is 00:00 on 1 Dec in Rome.
      expect(await q('from=2026-12-01')).toEqual([ids.skipped]);
      expect(await q('to=2026-11-30')).toEqual([ids.sent]);
      expect(await q('from=2026-11-30T08:30:00Z&to=2026-11-30T23:30:00Z')).toEqual([ids.skipped]);
      const page = await h.call('GET', '/v1/messages?limit=1', { key: a.adminKey });
      expect(page.body.data).toHaveLength(1);
      const next = await h.call('GET', `/v1/messages?limit=1&cursor=${page.body.nextCursor}`, { key: a.adminKey });
      expect(next.body.data).toHaveLength(1);
      expect(next.body.data[0].id).not.toBe(page.body.data[0].id);
      expect(next.body.nextCursor).toBeNull();
    });

    it('E1: a long history is paged: the detail shows the latest 50 with a cursor, /history pages through all of it, newest first', async () => {
      const em = h.db.orm.em.fork();
      const t0 = Date.parse('2026-11-30T10:00:00Z');
      for (let i = 0; i < 120; i += 1) {
        em.create(MessageEvent, { messageId: ids.skipped, status: 'retry', detail: `attempt ${i}`, createdAt: new Date(t0 + i * 1000) });
      }
      await em.flush();
      const detail = await h.call('GET', `/v1/messages/${ids.skipped}`, { key: a.adminKey });
      expect(detail.body.history).toHaveLength(50);
      expect(detail.body.history[0].detail).toBe('attempt 119');
      expect(detail.body.historyNextCursor).toEqual(expect.any(String));

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: CallResult = await h.call('GET', `/v1/messages/${ids.skipped}/history?limit=40${cursor ? `&cursor=${cursor}` : ''}`, { key: a.adminKey });
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((e: { detail: string }) => e.detail));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => `attempt ${119 - i}`));

      expectProblem(await h.call('GET', `/v1/messages/${ids.other}/history`, { key: a.adminKey }), 404);
      expectProblem(await h.call('GET', `/v1/messages/${ids.skipped}/history?cursor=nope`, { key: a.adminKey }), 400, 'cursor');
    });

    it('E1: bad filters → 400 naming the field; another center’s message → 404; booking key → 403; no key → 401', async () => {
      expectProblem(await h.call('GET', '/v1/messages?status=lost', { key: a.adminKey }), 400, 'status');
      expectProblem(await h.call('GET', '/v1/messages?from=yesterday', { key: a.adminKey }), 400, 'from');
      expectProblem(await h.call('GET', '/v1/messages?colour=red', { key: a.adminKey }), 400, 'colour');
      expectProblem(await h.call('GET', '/v1/messages?limit=0', { key: a.adminKey }), 400, 'limit');
      expectProblem(await h.call('GET', `/v1/messages/${ids.other}`, { key: a.adminKey }), 404);
      expectProblem(await h.call('GET', '/v1/messages', { key: a.bookingKey }), 403);
      expectProblem(await h.call('GET', '/v1/messages'), 401);
    });
  });

  it('B7: a password message hands the engine ids and an opaque secret reference only', async () => {
    h.engine.calls = [];
    const res = await h.call('POST', '/v1/password-messages', { key: a.bookingKey, body: { recipient: 'patient', id: 'p1', password: 'S3greto!', setupUrl: 'https://booking.example/setup/abc' } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const [[request]] = h.engine.callsOf('sendPasswordMessage') as [[PasswordMessageRequest]];
    expect(request).toMatchObject({ centerId: a.id, recipientKind: 'patient', hasPassword: true, hasSetupUrl: true, requestId: res.body.requestId });
    expect(JSON.stringify(request)).not.toContain('S3greto!');
    expect(JSON.stringify(request)).not.toContain('setup/abc');
    expect(h.secrets.secrets.get(request.secretRef)?.secret).toEqual({ password: 'S3greto!', setupUrl: 'https://booking.example/setup/abc' });
    // The secret is stored nowhere in the database (not even as an Idempotency-Key answer).
    const again = await h.call('POST', '/v1/password-messages', {
      key: a.bookingKey, headers: { 'idempotency-key': 'pw-1' }, body: { recipient: 'patient', id: 'p1', password: 'S3greto!' },
    });
    expect(again.status).toBe(202);
    expect(await h.tablesContaining('S3greto!')).toEqual([]);
    expect(await h.tablesContaining('setup/abc')).toEqual([]);
  });

  it('B7: bad password-message requests → 400/422 naming the field; another center’s patient → 422; no secret stash → 501', async () => {
    await h.call('PUT', '/v1/patients/only-b', { key: b.bookingKey, body: { firstName: 'Bea' } });
    h.engine.calls = [];
    const before = await h.fingerprint();
    const post = (body: unknown, key: string | null = a.bookingKey) => h.call('POST', '/v1/password-messages', { key, body });
    expectProblem(await post({ recipient: 'patient', id: 'p1' }), 400, 'setupUrl');
    expectProblem(await post({ recipient: 'doctor', id: 'p1', password: 'x' }), 400, 'recipient');
    expectProblem(await post({ recipient: 'patient', password: 'x' }), 400, 'id');
    expectProblem(await post({ recipient: 'patient', id: 'p1', setupUrl: 'javascript:alert(1)' }), 400, 'setupUrl');
    expectProblem(await post({ recipient: 'patient', id: 'p1', password: 'x', pin: 1 }), 400, 'pin');
    expectProblem(await post({ recipient: 'resource', id: 'p1', password: 'x' }), 422, 'id');
    expectProblem(await post({ recipient: 'patient', id: 'only-b', password: 'x' }), 422, 'id');
    expectProblem(await post({ recipient: 'patient', id: 'p1', password: 'x' }, PLATFORM_KEY), 403);
    expectProblem(await post({ recipient: 'patient', id: 'p1', password: 'x' }, null), 401);
    expect(await h.fingerprint()).toBe(before);
    expect(h.engine.calls).toEqual([]);
    const bare = await apiHarness({ withSecrets: false });
    try {
      const c = await bare.newCenter();
      await bare.call('PUT', '/v1/patients/p1', { key: c.bookingKey, body: { firstName: 'Maria' } });
      expectProblem(await bare.call('POST', '/v1/password-messages', { key: c.bookingKey, body: { recipient: 'patient', id: 'p1', password: 'x' } }), 501);
    } finally {
      await bare.close();
    }
  });
});
