import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { apiHarness, expectProblem, PLATFORM_KEY, type ApiHarness } from '../support/api.js';

describe('API platform, security and plumbing', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness();
  });
  afterAll(() => h?.close());

  it('healthz answers ok after checking the database, with the outbox backlog (commands not yet delivered)', async () => {
    const res = await h.call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', outbox: { pending: 0, failing: 0, oldestAt: null } });
    const center = await h.newCenter();
    h.engine.failNext = new Error('temporal unreachable');
    await h.call('PUT', '/v1/event-settings/appointment.reminder', { key: center.adminKey, body: { channels: ['sms'] } });
    expect((await h.call('GET', '/healthz')).body.outbox).toMatchObject({ pending: 1, failing: 1, oldestAt: expect.any(String) });
    await new Promise((r) => setTimeout(r, 600)); // the relay's first back-off: then it is delivered
    await h.relay.drain();
    expect((await h.call('GET', '/healthz')).body.outbox).toEqual({ pending: 0, failing: 0, oldestAt: null });
  });

  it('a platform key creates a center and answers its admin and booking keys once; both keys work', async () => {
    const res = await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, body: { name: 'Studio Verdi', timeZone: 'Europe/Rome', locale: 'it' } });
    expect(res.status).toBe(201);
    expect(res.body.center).toMatchObject({ name: 'Studio Verdi', timeZone: 'Europe/Rome', communicationsEnabled: true, creditBalance: 0 });
    expect(res.body.keys.admin.key).toMatch(/^ck_admin_/);
    expect(res.body.keys.booking.key).toMatch(/^ck_booking_/);
    expect((await h.call('GET', '/v1/center', { key: res.body.keys.admin.key })).body.name).toBe('Studio Verdi');
    expect((await h.call('GET', '/v1/patients', { key: res.body.keys.booking.key })).status).toBe(200);
    const keys = await h.call('GET', `/v1/centers/${res.body.center.id}/api-keys`, { key: PLATFORM_KEY });
    expect(keys.status).toBe(200);
    expect(keys.body.data.map((k: { scope: string }) => k.scope).sort()).toEqual(['admin', 'booking']);
    expect(JSON.stringify(keys.body)).not.toContain(res.body.keys.admin.key);
  });

  it('a revoked key stops working at once (401), even just after use (cached), the other keys keep working', async () => {
    const center = await h.newCenter('Revoca');
    expect((await h.call('GET', '/v1/patients', { key: center.bookingKey })).status).toBe(200);
    const keys = await h.call('GET', `/v1/centers/${center.id}/api-keys`, { key: PLATFORM_KEY });
    const booking = keys.body.data.find((k: { scope: string }) => k.scope === 'booking');
    const revoked = await h.call('DELETE', `/v1/centers/${center.id}/api-keys/${booking.id}`, { key: PLATFORM_KEY });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expectProblem(await h.call('GET', '/v1/patients', { key: center.bookingKey }), 401);
    expect((await h.call('GET', '/v1/center', { key: center.adminKey })).status).toBe(200);
    const another = await h.call('POST', `/v1/centers/${center.id}/api-keys`, { key: PLATFORM_KEY, body: { scope: 'booking', name: 'rotated' } });
    expect(another.status).toBe(201);
    expect((await h.call('GET', '/v1/patients', { key: another.body.key })).status).toBe(200);
  });

  it('no key or a bad key → 401 problem+json with a Bearer challenge; nothing changes', async () => {
    const before = await h.fingerprint();
    const none = await h.call('POST', '/v1/centers', { body: { name: 'X' } });
    expectProblem(none, 401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expectProblem(await h.call('GET', '/v1/center', { key: 'ck_admin_not-a-real-key' }), 401);
    expectProblem(await h.call('GET', '/v1/center', { headers: { authorization: 'Basic abc' } }), 401);
    expect(await h.fingerprint()).toBe(before);
  });

  it('wrong scope → 403: center keys cannot create centers or top up; the platform key cannot read a center', async () => {
    const center = await h.newCenter('Scope');
    const before = await h.fingerprint();
    expectProblem(await h.call('POST', '/v1/centers', { key: center.adminKey, body: { name: 'Y' } }), 403);
    expectProblem(await h.call('POST', '/v1/credits/top-ups', { key: center.adminKey, body: { centerId: center.id, amount: 10 } }), 403);
    expectProblem(await h.call('GET', '/v1/center', { key: PLATFORM_KEY }), 403);
    expectProblem(await h.call('GET', '/v1/center', { key: center.bookingKey }), 403);
    expect(await h.fingerprint()).toBe(before);
  });

  it('validation: missing, wrong type and unknown fields → 400 naming each field; nothing changes', async () => {
    const before = await h.fingerprint();
    expectProblem(await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, body: {} }), 400, 'name');
    expectProblem(await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, body: { name: 42 } }), 400, 'name');
    expectProblem(await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, body: { name: 'Z', colour: 'blue' } }), 400, 'colour');
    expectProblem(await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, body: { name: 'Z', timeZone: 'Mars/Olympus' } }), 400, 'timeZone');
    expectProblem(await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, rawBody: '{"name":', headers: { 'content-type': 'application/json' } }), 400);
    expectProblem(await h.call('GET', '/v1/centers?limit=500', { key: PLATFORM_KEY }), 400, 'limit');
    expectProblem(await h.call('GET', '/v1/centers?cursor=garbage', { key: PLATFORM_KEY }), 400, 'cursor');
    expect(await h.fingerprint()).toBe(before);
  });

  it('F1: the platform key tops up a center; the balance and the ledger show it; an unknown center → 422 naming centerId', async () => {
    const center = await h.newCenter('Crediti');
    const res = await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, body: { centerId: center.id, amount: 500, note: 'first pack' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ centerId: center.id, balance: 500 });
    const credits = await h.call('GET', '/v1/credits', { key: center.adminKey });
    expect(credits.body).toMatchObject({ balance: 500, prices: { email: 0, smsSegment: 1, voice: 2 }, lowCreditThreshold: 50, low: false });
    const ledger = await h.call('GET', '/v1/credits/ledger', { key: center.adminKey });
    expect(ledger.body.data).toEqual([expect.objectContaining({ kind: 'topup', amount: 500, note: 'first pack', messageId: null })]);
    expectProblem(await h.call('GET', '/v1/credits/ledger', { key: center.bookingKey }), 403);
    for (const amount of [1, 2, 3]) await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, body: { centerId: center.id, amount } });
    const page1 = await h.call('GET', '/v1/credits/ledger?limit=3', { key: center.adminKey });
    const page2 = await h.call('GET', `/v1/credits/ledger?limit=3&cursor=${page1.body.nextCursor}`, { key: center.adminKey });
    expect([...page1.body.data, ...page2.body.data].map((e: { amount: number }) => e.amount)).toEqual([3, 2, 1, 500]);
    expect(page2.body.nextCursor).toBeNull();
    const before = await h.fingerprint();
    expectProblem(await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, body: { centerId: '00000000-0000-4000-8000-000000000000', amount: 5 } }), 422, 'centerId');
    expectProblem(await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, body: { centerId: center.id, amount: -5 } }), 400, 'amount');
    expectProblem(await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, body: { centerId: center.id } }), 400, 'amount');
    expect(await h.fingerprint()).toBe(before);
  });

  it('X5: a repeated POST with the same Idempotency-Key answers the first response and changes nothing; another body → 422', async () => {
    const center = await h.newCenter('Idem');
    const headers = { 'idempotency-key': 'topup-2026-001' };
    const first = await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, headers, body: { centerId: center.id, amount: 100 } });
    expect(first.status).toBe(201);
    const before = await h.fingerprint();
    const again = await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, headers, body: { centerId: center.id, amount: 100 } });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await h.fingerprint()).toBe(before);
    const mismatch = await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, headers, body: { centerId: center.id, amount: 200 } });
    expectProblem(mismatch, 422, 'Idempotency-Key');
    expect(await h.fingerprint()).toBe(before);
    expect((await h.call('GET', '/v1/credits', { key: center.adminKey })).body.balance).toBe(100);
  });

  it('X5: concurrent twins with one Idempotency-Key apply once and answer the same', async () => {
    const center = await h.newCenter('Gemelli');
    const headers = { 'idempotency-key': 'twin' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, headers, body: { centerId: center.id, amount: 7 } })),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect((await h.call('GET', '/v1/credits', { key: center.adminKey })).body.balance).toBe(7);
  });

  it('a failed request leaves its Idempotency-Key free: the corrected retry is applied', async () => {
    const center = await h.newCenter('Retry');
    const headers = { 'idempotency-key': 'retry-me' };
    expectProblem(await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, headers, body: { centerId: center.id, amount: 0 } }), 400, 'amount');
    // Same key, different body: allowed because nothing was stored for the rejected attempt.
    const ok = await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, headers, body: { centerId: center.id, amount: 3 } });
    expect(ok.status).toBe(201);
  });

  it('an oversized body → 413 problem+json', async () => {
    const small = await apiHarness({ bodyLimitBytes: 1024 });
    try {
      const res = await small.call('POST', '/v1/centers', { key: PLATFORM_KEY, body: { name: 'x'.repeat(5000) } });
      expectProblem(res, 413);
    } finally {
      await small.close();
    }
  });

  it('rate limit: beyond the bucket a key gets 429 with Retry-After; other keys are not affected', async () => {
    let clock = Date.parse('2026-12-01T09:00:00Z');
    const limited = await apiHarness({ rateLimit: { capacity: 3, refillPerSecond: 1 }, now: () => new Date(clock) });
    try {
      const center = await limited.newCenter('Limiti');
      for (let i = 0; i < 3; i++) expect((await limited.call('GET', '/v1/center', { key: center.adminKey })).status).toBe(200);
      const refused = await limited.call('GET', '/v1/center', { key: center.adminKey });
      expectProblem(refused, 429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await limited.call('GET', '/v1/patients', { key: center.bookingKey })).status).toBe(200);
      clock += 1000;
      expect((await limited.call('GET', '/v1/center', { key: center.adminKey })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('/openapi.json is an OpenAPI 3.1 document listing every route; /docs serves Swagger UI', async () => {
    const doc = await h.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/centers',
        '/v1/centers/{centerId}/api-keys',
        '/v1/centers/{centerId}/api-keys/{keyId}',
        '/v1/center',
        '/v1/event-settings',
        '/v1/event-settings/{eventKind}',
        '/v1/templates',
        '/v1/templates/{eventKind}/{channel}/{locale}',
        '/v1/templates/{eventKind}/{channel}/{locale}/preview',
        '/v1/placeholders',
        '/v1/patients/{id}',
        '/v1/resources/{id}',
        '/v1/services/{id}',
        '/v1/locations/{id}',
        '/v1/appointments/{id}',
        '/v1/appointments/{id}/cancel',
        '/v1/appointments/{id}/attendance',
        '/v1/appointments/{id}/recall-interval',
        '/v1/appointments/{id}/timeline',
        '/v1/alerts',
        '/v1/alerts/{id}',
        '/v1/messages',
        '/v1/messages/{id}',
        '/v1/credits',
        '/v1/credits/ledger',
        '/v1/credits/top-ups',
        '/v1/password-messages',
      ]),
    );
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const docs = await h.call('GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.body).toContain('swagger-ui');
  });

  it('webhook sub-apps are mounted at /webhooks and /l, outside the API-key guard', async () => {
    const webhooks = new Hono().post('/twilio/inbound', (c) => c.text('twiml'));
    const links = new Hono().get('/confirm/:token', (c) => c.text(`page ${c.req.param('token')}`));
    const app = createApp({ orm: h.db.orm, engine: h.engine, config: { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: 'https://x.test' }, webhooks: { webhooks, links } });
    expect(await (await app.request('/webhooks/twilio/inbound', { method: 'POST' })).text()).toBe('twiml');
    expect(await (await app.request('/l/confirm/abc')).text()).toBe('page abc');
    expect((await app.request('/v1/center')).status).toBe(401);
  });

  it('an unknown route → 404 problem+json', async () => {
    expectProblem(await h.call('GET', '/v1/nothing-here', { key: PLATFORM_KEY }), 404);
  });
});
