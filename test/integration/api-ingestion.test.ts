import { Client } from '@temporalio/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { defaultRateLimit } from '../../src/api/rate-limit.js';
import { loadConfig } from '../../src/config.js';
import { Appointment } from '../../src/db/entities/index.js';
import type { AppointmentSnapshot } from '../../src/engine/port.js';
import { buildApi } from '../../src/server.js';
import { apiHarness, expectProblem, PLATFORM_KEY, type ApiHarness } from '../support/api.js';
import { twoBookingCenters, type BookingCenter } from '../support/booking-centers.js';
import { afterFirstStatement, statementsOf } from '../support/statements.js';

const validEnv = {
  DATABASE_URL: 'postgres://comms:pw@db.internal:5432/comms',
  PUBLIC_BASE_URL: 'https://comms.example.test/',
  PLATFORM_API_KEY: PLATFORM_KEY,
  LINK_SIGNING_SECRET: 's'.repeat(32),
  SMTP_HOST: 'smtp.example.test',
  DEFAULT_EMAIL_FROM: 'noreply@example.test',
  DEFAULT_SMS_FROM: 'Clinic',
  DEFAULT_VOICE_FROM: '+390212345678',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 't'.repeat(32),
};

describe('API appointment ingestion (B1, X5): cost per PUT, API-key cache, rate limit from config', () => {
  let h: ApiHarness;
  let a: BookingCenter;
  let b: BookingCenter;
  const booking = { revision: 1, patientId: 'p1', resourceId: 'r1', serviceId: 's1', locationId: 'l1', startAt: '2026-12-01T09:00:00Z', endAt: '2026-12-01T09:30:00Z' };

  beforeAll(async () => {
    h = await apiHarness();
    ({ a, b } = await twoBookingCenters(h));
  });
  afterAll(() => h?.close());

  it('B1: a new appointment costs 2 statements (the row and its 4 references read in one; the row and its engine command written in one) and answers what GET answers', async () => {
    let res: Awaited<ReturnType<ApiHarness['call']>> | undefined;
    const statements = await statementsOf(h.db.orm, async () => {
      res = await h.call('PUT', '/v1/appointments/cost-1', { key: a.bookingKey, body: booking, deliver: false });
    });
    await h.relay.drain();
    expect(res?.status, JSON.stringify(res?.body)).toBe(201);
    expect(statements, statements.join('\n')).toHaveLength(2);
    expect(statements[0]).toMatch(/from appointments|join appointments/i);
    expect(statements[0]).toMatch(/union all/i);
    expect(statements[1]).toMatch(/insert into appointments[\s\S]*insert into engine_outbox/i);
    expect(res?.body.appointment).toMatchObject({ id: 'cost-1', patientId: 'p1', resourceId: 'r1', serviceId: 's1', locationId: 'l1', revision: 1 });
    expect((await h.call('GET', '/v1/appointments/cost-1', { key: a.bookingKey })).body).toEqual(res?.body.appointment);
  });

  it('B1 X5: a newer revision that changes and drops references answers the new ones, as GET does; the engine gets the new uuids', async () => {
    await h.call('PUT', '/v1/appointments/cost-2', { key: a.bookingKey, body: booking });
    h.engine.calls = [];
    const moved = { ...booking, revision: 2, resourceId: 'r2', serviceId: null, locationId: undefined };
    const res = await h.call('PUT', '/v1/appointments/cost-2', { key: a.bookingKey, body: moved });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'updated', appointment: { resourceId: 'r2', serviceId: null, locationId: null, revision: 2 } });
    expect((await h.call('GET', '/v1/appointments/cost-2', { key: a.bookingKey })).body).toEqual(res.body.appointment);
    const row = await h.db.orm.em.fork().findOneOrFail(Appointment, { centerId: a.id, externalId: 'cost-2' });
    const [[snapshot]] = h.engine.callsOf('appointmentChanged') as [[AppointmentSnapshot]];
    expect(snapshot).toMatchObject({ revision: 2, resourceId: row.resourceId, serviceId: null, locationId: null });
    expect(row.resourceId).not.toBeNull();
  });

  it('X5: a stale revision is ignored and answers the stored references, not the body’s', async () => {
    await h.call('PUT', '/v1/appointments/cost-3', { key: a.bookingKey, body: { ...booking, revision: 5, resourceId: 'r2' } });
    h.engine.calls = [];
    const res = await h.call('PUT', '/v1/appointments/cost-3', { key: a.bookingKey, body: { ...booking, revision: 4 } });
    expect(res.body).toMatchObject({ status: 'ignored', appointment: { resourceId: 'r2', revision: 5 } });
    expect(h.engine.calls).toEqual([]);
  });

  it('B1: an unknown reference → 422 naming that field (the first in patient, resource, service, location order); another center’s ids are unknown; nothing changed', async () => {
    const before = await h.fingerprint();
    h.engine.calls = [];
    expectProblem(await h.call('PUT', '/v1/appointments/bad', { key: a.bookingKey, body: { ...booking, locationId: 'nowhere' } }), 422, 'locationId');
    expectProblem(await h.call('PUT', '/v1/appointments/bad', { key: a.bookingKey, body: { ...booking, serviceId: 'nothing' } }), 422, 'serviceId');
    const both = await h.call('PUT', '/v1/appointments/bad', { key: a.bookingKey, body: { ...booking, patientId: 'nobody', locationId: 'nowhere' } });
    expectProblem(both, 422, 'patientId');
    expect(both.body.errors.map((e: { field: string }) => e.field)).toEqual(['patientId']);
    // Exists, but in center B: scoped by center.
    const foreign = await h.call('PUT', '/v1/appointments/bad', { key: a.bookingKey, body: { ...booking, resourceId: 'only-in-b' } });
    expectProblem(foreign, 422, 'resourceId');
    expect(foreign.body.errors[0].message).toContain('only-in-b');
    expect(h.engine.calls).toEqual([]);
    expect(await h.fingerprint()).toBe(before);
    expect((await h.call('PUT', '/v1/appointments/bad', { key: b.bookingKey, body: { ...booking, resourceId: 'only-in-b' } })).status).toBe(201);
  });

  it('X5: two concurrent PUTs of one appointment end with the newest revision stored, and the newest is the highest the engine heard', async () => {
    await h.call('PUT', '/v1/appointments/race', { key: a.bookingKey, body: booking });
    h.engine.calls = [];
    const [r2, r3] = await Promise.all([
      h.call('PUT', '/v1/appointments/race', { key: a.bookingKey, body: { ...booking, revision: 2, startAt: '2026-12-01T10:00:00Z', endAt: '2026-12-01T10:30:00Z' } }),
      h.call('PUT', '/v1/appointments/race', { key: a.bookingKey, body: { ...booking, revision: 3, startAt: '2026-12-01T11:00:00Z', endAt: '2026-12-01T11:30:00Z' } }),
    ]);
    expect([r2.status, r3.status]).toContain(200);
    const stored = (await h.call('GET', '/v1/appointments/race', { key: a.bookingKey })).body;
    expect(stored).toMatchObject({ revision: 3, startAt: '2026-12-01T11:00:00.000Z' });
    // The workflow ignores revisions not above its own: what counts is the highest one it heard.
    const heard = (h.engine.callsOf('appointmentChanged') as [AppointmentSnapshot][]).map(([s]) => s.revision);
    expect(Math.max(...heard)).toBe(3);
  });

  it('X5: a PUT whose row changed between its read and its write reads again: the newer revision stays, the older is answered ignored, the engine heard only the newer', async () => {
    await h.call('PUT', '/v1/appointments/lost-race', { key: a.bookingKey, body: booking });
    h.engine.calls = [];
    const later = { ...booking, revision: 3, startAt: '2026-12-01T11:00:00Z', endAt: '2026-12-01T11:30:00Z' };
    // Revision 3 commits right after revision 2's read, before its write: the race made certain.
    const res = await afterFirstRead(() => h.call('PUT', '/v1/appointments/lost-race', { key: a.bookingKey, body: later }), () =>
      h.call('PUT', '/v1/appointments/lost-race', { key: a.bookingKey, body: { ...booking, revision: 2, startAt: '2026-12-01T10:00:00Z', endAt: '2026-12-01T10:30:00Z' } }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'ignored', appointment: { revision: 3, startAt: '2026-12-01T11:00:00.000Z' } });
    expect((await h.call('GET', '/v1/appointments/lost-race', { key: a.bookingKey })).body).toMatchObject({ revision: 3, startAt: '2026-12-01T11:00:00.000Z' });
    expect((h.engine.callsOf('appointmentChanged') as [AppointmentSnapshot][]).map(([s]) => s.revision)).toEqual([3]);
  });

  it('B1 X5: two creates of one id where the other commits first: one row, the newer revision on it, both heard in order', async () => {
    h.engine.calls = [];
    const res = await afterFirstRead(() => h.call('PUT', '/v1/appointments/twin-create', { key: a.bookingKey, body: booking }), () =>
      h.call('PUT', '/v1/appointments/twin-create', { key: a.bookingKey, body: { ...booking, revision: 2, startAt: '2026-12-01T12:00:00Z', endAt: '2026-12-01T12:30:00Z' } }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'updated', appointment: { revision: 2, startAt: '2026-12-01T12:00:00.000Z' } });
    expect(await h.db.orm.em.fork().count(Appointment, { centerId: a.id, externalId: 'twin-create' })).toBe(1);
    expect((h.engine.callsOf('appointmentChanged') as [AppointmentSnapshot][]).map(([s]) => s.revision)).toEqual([1, 2]);
  });

  it('B1 X5: concurrent PUTs share their statements, and each one answers as if it ran alone', async () => {
    for (const id of ['shared-u1', 'shared-u2', 'shared-u3']) await h.call('PUT', `/v1/appointments/${id}`, { key: a.bookingKey, body: booking });
    h.engine.calls = [];
    const at = (hour: number) => ({ startAt: `2026-12-02T${hour}:00:00Z`, endAt: `2026-12-02T${hour}:30:00Z` });
    const requests = [
      ...Array.from({ length: 20 }, (_, i) => ({ id: `shared-new-${i}`, body: { ...booking, ...at(10 + (i % 8)) }, expect: 201 })),
      ...['shared-u1', 'shared-u2', 'shared-u3'].map((id) => ({ id, body: { ...booking, revision: 2, ...at(18) }, expect: 200 })),
      // Two creates of one id in the same group: one inserts, the other reads again.
      { id: 'shared-twin', body: { ...booking, revision: 1 }, expect: [200, 201] },
      { id: 'shared-twin', body: { ...booking, revision: 2, ...at(19) }, expect: [200, 201] },
      { id: 'shared-bad', body: { ...booking, serviceId: 'nothing' }, expect: 422 },
    ];
    let answers: Awaited<ReturnType<ApiHarness['call']>>[] = [];
    const statements = await statementsOf(h.db.orm, async () => {
      answers = await Promise.all(requests.map((r) => h.call('PUT', `/v1/appointments/${r.id}`, { key: a.bookingKey, body: r.body, deliver: false })));
    });
    await h.relay.drain();
    answers.forEach((res, i) => expect([requests[i]!.expect].flat(), `${requests[i]!.id}: ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status));
    expectProblem(answers.at(-1)!, 422, 'serviceId');
    // Unshared, 26 PUTs cost 2 statements each (the twin that lost costs 2 more).
    const appointmentStatements = statements.filter((s) => /appointments/.test(s));
    expect(appointmentStatements.length, statements.join('\n---\n')).toBeLessThanOrEqual(requests.length);
    for (const [i, r] of requests.entries()) {
      if (r.expect === 422) continue;
      const stored = (await h.call('GET', `/v1/appointments/${r.id}`, { key: a.bookingKey })).body;
      if (r.id !== 'shared-twin') expect(answers[i]!.body.appointment, r.id).toEqual(stored);
      expect(stored, r.id).toMatchObject({ revision: r.id === 'shared-twin' ? 2 : r.body.revision, startAt: new Date(r.id === 'shared-twin' ? at(19).startAt : r.body.startAt).toISOString() });
    }
    expect((await h.call('GET', '/v1/appointments/shared-bad', { key: a.bookingKey })).status).toBe(404);
    // Each accepted write told the engine once, with its own revision; the twin's last word is revision 2.
    const heard = new Map<string, number[]>();
    for (const [s] of h.engine.callsOf('appointmentChanged') as [AppointmentSnapshot][]) heard.set(s.bookingIds!.appointment, [...(heard.get(s.bookingIds!.appointment) ?? []), s.revision]);
    expect(heard.size).toBe(24);
    for (const r of requests) if (r.expect !== 422 && r.id !== 'shared-twin') expect(heard.get(r.id), r.id).toEqual([r.body.revision]);
    expect([[2], [1, 2]]).toContainEqual(heard.get('shared-twin'));
  });

  /** Runs `request`; once its read of the row has answered, runs `meanwhile` before its write. */
  const afterFirstRead = <T>(meanwhile: () => Promise<unknown>, request: () => Promise<T>) => afterFirstStatement(h.db.orm, /left join appointments/i, meanwhile, request);

  it('API keys: a known key skips the api_keys lookup; a revoked key works for at most API_KEY_CACHE_SECONDS, then 401', async () => {
    let clock = Date.parse('2026-12-01T09:00:00Z');
    const app = createApp({
      orm: h.db.orm,
      engine: h.engine,
      config: { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: 'https://x.test' },
      rateLimit: { capacity: 10_000, refillPerSecond: 10_000 },
      apiKeyCacheSeconds: 5,
      now: () => new Date(clock),
    });
    const get = async (key: string) => (await app.request('/v1/patients', { headers: { authorization: `Bearer ${key}` } })).status;
    const center = await h.newCenter('Cache');
    expect(await get(center.bookingKey)).toBe(200);
    const lookups = await statementsOf(h.db.orm, () => get(center.bookingKey));
    expect(lookups.filter((s) => s.includes('api_keys'))).toEqual([]);

    const keys = await h.call('GET', `/v1/centers/${center.id}/api-keys`, { key: PLATFORM_KEY });
    const bookingKeyId = keys.body.data.find((k: { scope: string }) => k.scope === 'booking').id;
    expect((await h.call('DELETE', `/v1/centers/${center.id}/api-keys/${bookingKeyId}`, { key: PLATFORM_KEY })).status).toBe(200);
    clock += 4_000;
    expect(await get(center.bookingKey)).toBe(200);
    clock += 1_001;
    expect(await get(center.bookingKey)).toBe(401);
    clock += 60_000;
    expect(await get(center.bookingKey)).toBe(401);
    expect(await get('ck_booking_not-a-real-key')).toBe(401);
  });

  it('API keys: API_KEY_CACHE_SECONDS=0 reads the key every time, so a revoked key stops at once', async () => {
    const app = createApp({
      orm: h.db.orm,
      engine: h.engine,
      config: { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: 'https://x.test' },
      rateLimit: { capacity: 10_000, refillPerSecond: 10_000 },
      apiKeyCacheSeconds: 0,
    });
    const get = async (key: string) => (await app.request('/v1/patients', { headers: { authorization: `Bearer ${key}` } })).status;
    const center = await h.newCenter('No cache');
    expect(await get(center.bookingKey)).toBe(200);
    const keys = await h.call('GET', `/v1/centers/${center.id}/api-keys`, { key: PLATFORM_KEY });
    const bookingKeyId = keys.body.data.find((k: { scope: string }) => k.scope === 'booking').id;
    await h.call('DELETE', `/v1/centers/${center.id}/api-keys/${bookingKeyId}`, { key: PLATFORM_KEY });
    expect(await get(center.bookingKey)).toBe(401);
  });

  it('config: the rate limit and the key cache default to 50/s, burst 200, 5 s; env values override; bad ones are named', () => {
    const defaults = loadConfig(validEnv);
    expect({ capacity: defaults.API_RATE_LIMIT_BURST, refillPerSecond: defaults.API_RATE_LIMIT_PER_SECOND }).toEqual(defaultRateLimit);
    expect(defaults.API_KEY_CACHE_SECONDS).toBe(5);
    const set = loadConfig({ ...validEnv, API_RATE_LIMIT_PER_SECOND: '400', API_RATE_LIMIT_BURST: '1000', API_KEY_CACHE_SECONDS: '0' });
    expect([set.API_RATE_LIMIT_PER_SECOND, set.API_RATE_LIMIT_BURST, set.API_KEY_CACHE_SECONDS]).toEqual([400, 1000, 0]);
    expect(() => loadConfig({ ...validEnv, API_RATE_LIMIT_PER_SECOND: '0', API_RATE_LIMIT_BURST: 'many', API_KEY_CACHE_SECONDS: '-1' })).toThrow(
      /API_RATE_LIMIT_PER_SECOND[\s\S]*API_RATE_LIMIT_BURST[\s\S]*API_KEY_CACHE_SECONDS/,
    );
  });

  it('config: the API built from config limits each key at API_RATE_LIMIT_BURST, then 429 with Retry-After', async () => {
    const config = loadConfig({ ...validEnv, API_RATE_LIMIT_BURST: '2', API_RATE_LIMIT_PER_SECOND: '0.01' });
    // A lazy Temporal client: these reads never reach the engine, so no server is needed.
    const app = await buildApi({ config, orm: h.db.orm, client: new Client(), logger: pino({ level: 'silent' }) });
    const center = await h.newCenter('Limited');
    const get = () => app.request('/v1/patients', { headers: { authorization: `Bearer ${center.bookingKey}` } });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
