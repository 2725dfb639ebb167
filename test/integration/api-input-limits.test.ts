import { DriverException } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badDataDetail } from '../../src/api/bad-data.js';
import { apiHarness, expectProblem, PLATFORM_KEY, type ApiHarness } from '../support/api.js';

/** What used to be a 500 (schemathesis found them) is a 4xx naming the field, and the document says so. */
describe('input limits: bad input is a 4xx naming the field, never a 500', () => {
  let h: ApiHarness;
  let a: Awaited<ReturnType<ApiHarness['newCenter']>>;
  const booking = { revision: 1, patientId: 'p1', startAt: '2026-12-01T09:00:00+01:00', endAt: '2026-12-01T09:30:00+01:00' };
  beforeAll(async () => {
    h = await apiHarness();
    a = await h.newCenter('Limiti');
    await h.call('PUT', '/v1/patients/p1', { key: a.bookingKey, body: { firstName: 'Maria', mobile: '+393331234567' } });
    await h.call('PUT', '/v1/resources/r1', { key: a.bookingKey, body: { name: 'Dott. Bianchi' } });
  });
  afterAll(() => h?.close());

  it('a NUL character in any text (body, nested body, query) → 400 naming the field; nothing changes', async () => {
    const before = await h.fingerprint();
    expectProblem(await h.call('PUT', '/v1/patients/p2', { key: a.bookingKey, body: { firstName: 'Ma\u0000ria' } }), 400, 'firstName');
    expectProblem(await h.call('PATCH', '/v1/center', { key: a.adminKey, body: { senders: { emailFromName: 'Studio\u0000' } } }), 400, 'senders.emailFromName');
    expectProblem(await h.call('PUT', '/v1/appointments/a1', { key: a.bookingKey, body: { ...booking, notes: '\u0000' } }), 400, 'notes');
    expectProblem(await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, body: { name: 'X', adminEmails: ['a\u0000@b.co'] } }), 400, 'adminEmails.0');
    expectProblem(await h.call('GET', '/v1/messages?recipientId=p%001', { key: a.adminKey }), 400, 'recipientId');
    expect(await h.fingerprint()).toBe(before);
  });

  it('strings longer than their column → 400 naming the field (website, callback.url: 255)', async () => {
    const before = await h.fingerprint();
    const long = `https://clinic.example/${'a'.repeat(250)}`;
    expectProblem(await h.call('PATCH', '/v1/center', { key: a.adminKey, body: { website: long } }), 400, 'website');
    expectProblem(await h.call('PATCH', '/v1/center', { key: a.adminKey, body: { callback: { url: long, secret: 'a-long-enough-secret-123' } } }), 400, 'callback.url');
    expect(await h.fingerprint()).toBe(before);
    const ok = await h.call('PATCH', '/v1/center', { key: a.adminKey, body: { website: long.slice(0, 255) } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it('integers above 2^31−1 → 400 naming the field (revision); a top-up past the largest balance → 422 naming amount', async () => {
    const before = await h.fingerprint();
    expectProblem(await h.call('PUT', '/v1/appointments/a1', { key: a.bookingKey, body: { ...booking, revision: 2 ** 31 } }), 400, 'revision');
    expect(await h.fingerprint()).toBe(before);
    const ok = await h.call('PUT', '/v1/appointments/a1', { key: a.bookingKey, body: { ...booking, revision: 2 ** 31 - 1 } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);

    // The balance after many top-ups: 214 top-ups of 10 000 000 reach 2 140 000 000, the next two pass 2^31−1.
    await h.db.orm.em.getConnection().execute(`update centers set credit_balance = 2140000000 where id = ?`, [a.id]);
    const fits = await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, body: { centerId: a.id, amount: 7_000_000 } });
    expect(fits.status, JSON.stringify(fits.body)).toBe(201);
    const full = await h.fingerprint();
    expectProblem(await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, body: { centerId: a.id, amount: 10_000_000 } }), 422, 'amount');
    expect(await h.fingerprint()).toBe(full);
    expect((await h.call('GET', '/v1/credits', { key: a.adminKey })).body.balance).toBe(2_147_000_000);
  });

  it('dates outside 1900–2199 → 400 naming the field (alert day 0042-01-01, appointment times, message filters)', async () => {
    h.engine.calls = [];
    const before = await h.fingerprint();
    expectProblem(await h.call('POST', '/v1/alerts', { key: a.bookingKey, body: { resourceId: 'r1', day: '0042-01-01', kind: 'absence' } }), 400, 'day');
    expectProblem(await h.call('POST', '/v1/alerts', { key: a.bookingKey, body: { resourceId: 'r1', day: '2200-01-01', kind: 'absence' } }), 400, 'day');
    expectProblem(await h.call('PUT', '/v1/appointments/a2', { key: a.bookingKey, body: { ...booking, startAt: '0042-12-01T09:00:00+01:00' } }), 400, 'startAt');
    expectProblem(await h.call('PUT', '/v1/appointments/a2', { key: a.bookingKey, body: { ...booking, bookedAt: '9999-01-01T00:00:00Z' } }), 400, 'bookedAt');
    expectProblem(await h.call('GET', '/v1/messages?from=0042-01-01', { key: a.adminKey }), 400, 'from');
    expect(await h.fingerprint()).toBe(before);
    expect(h.engine.callsOf('resourceAlert')).toEqual([]);
    // A delay needs its minutes; an absence has none.
    expectProblem(await h.call('POST', '/v1/alerts', { key: a.bookingKey, body: { resourceId: 'r1', day: '2026-12-01', kind: 'delay' } }), 400, 'delayMinutes');
    expectProblem(await h.call('POST', '/v1/alerts', { key: a.bookingKey, body: { resourceId: 'r1', day: '2026-12-01', kind: 'absence', delayMinutes: 5 } }), 400, 'delayMinutes');
    const ok = await h.call('POST', '/v1/alerts', { key: a.bookingKey, body: { resourceId: 'r1', day: '2026-12-01', kind: 'delay', delayMinutes: 15 } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
  });

  it('a cursor not made by a list → 400 naming cursor; a real one pages on', async () => {
    expectProblem(await h.call('GET', '/v1/patients?cursor=0000', { key: a.bookingKey }), 400, 'cursor');
    const first = await h.call('GET', '/v1/resources?limit=1', { key: a.bookingKey });
    await h.call('PUT', '/v1/resources/r2', { key: a.bookingKey, body: { name: 'Dott. Verdi' } });
    const page = await h.call('GET', '/v1/resources?limit=1', { key: a.bookingKey });
    expect(page.body.nextCursor).toMatch(/^[0-9]{1,13}_[0-9a-f-]{36}$/);
    const next = await h.call('GET', `/v1/resources?limit=1&cursor=${page.body.nextCursor}`, { key: a.bookingKey });
    expect(next.status).toBe(200);
    expect(next.body.data.map((r: { id: string }) => r.id)).toEqual(first.body.data.map((r: { id: string }) => r.id));
  });

  it('a method a path does not have → 405 with Allow, not 404', async () => {
    const res = await h.call('DELETE', '/v1/center', { key: a.adminKey });
    expectProblem(res, 405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, PATCH');
    expectProblem(await h.call('GET', '/v1/no-such-thing', { key: a.adminKey }), 404);
  });

  it('the OpenAPI document states the real limits: formats, lengths, ranges, cursor, NUL, delay minutes, end after start', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body;
    const schemaOf = (path: string, method: string) => {
      const body = doc.paths[path][method].requestBody.content['application/json'].schema;
      return body.$ref ? doc.components.schemas[body.$ref.split('/').pop()] : body;
    };
    const patch = schemaOf('/v1/center', 'patch');
    expect(patch.properties.website).toMatchObject({ maxLength: 255, pattern: expect.stringContaining('https?') });
    expect(patch.properties.callback.properties.url.maxLength).toBe(255);
    expect(patch.properties.adminEmails.items).toMatchObject({ format: 'email', pattern: expect.any(String) });
    expect(patch.properties.name.pattern).toBe('^[^\\u0000]*$');
    const appointment = schemaOf('/v1/appointments/{id}', 'put');
    expect(appointment.properties.revision.maximum).toBe(2 ** 31 - 1);
    expect(appointment.properties.startAt.pattern).toBe('^(19|2[01])[0-9]{2}-');
    expect(appointment.properties.endAt.description).toContain('after startAt');
    const alert = schemaOf('/v1/alerts', 'post');
    const delay = alert.oneOf.find((s: { properties: { kind: unknown } }) => JSON.stringify(s.properties.kind).includes('"delay"'));
    expect(delay.required).toContain('delayMinutes');
    const cursor = doc.paths['/v1/patients'].get.parameters.find((p: { name: string }) => p.name === 'cursor');
    expect(cursor.schema.pattern).toMatch(/_/);
    expect(doc.paths['/v1/centers'].post.responses['201'].content['application/json'].schema.properties.keys.properties.admin.properties.key.description).toContain('replay');
  });

  it('last resort: a database data error (value too long, out of range) maps to a 422 detail that never quotes its text (patient data)', () => {
    const tooLong = new DriverException(Object.assign(new Error('value too long for type character varying(255): Maria Rossi'), { code: '22001' }));
    expect(badDataDetail(tooLong)).toEqual({ code: '22001', detail: 'A text is longer than its field allows.' });
    const overflow = new DriverException(Object.assign(new Error('integer out of range'), { code: '22003' }));
    expect(badDataDetail(overflow)?.detail).toBe('A number is larger than its field allows.');
    expect(badDataDetail(new DriverException(Object.assign(new Error('connection reset'), { code: '08006' })))).toBeNull();
    expect(badDataDetail(new Error('plain'))).toBeNull();
  });
});
