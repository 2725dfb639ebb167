import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, expectProblem, PLATFORM_KEY, type ApiHarness, type CallResult } from '../support/api.js';

describe('API: outbound safety and costs belong to the platform (issue 9)', () => {
  let h: ApiHarness;
  let center: Awaited<ReturnType<ApiHarness['newCenter']>>;
  beforeAll(async () => {
    h = await apiHarness();
    center = await h.newCenter('Centro Costi');
  });
  afterAll(() => h?.close());

  it('F1: an admin cannot set its own prices, countries or cap: 403 naming each field, nothing changed', async () => {
    const before = await h.fingerprint();
    expectProblem(await h.call('PATCH', '/v1/center', { key: center.adminKey, body: { prices: { smsSegment: 0, voice: 0 } } }), 403, 'prices');
    expectProblem(await h.call('PATCH', '/v1/center', { key: center.adminKey, body: { name: 'Gratis', prices: { email: 0 } } }), 403, 'prices');
    const both = await h.call('PATCH', '/v1/center', { key: center.adminKey, body: { phoneCountries: ['JM'], dailyPhoneCap: 1_000_000 } });
    expectProblem(both, 403, 'phoneCountries');
    expectProblem(both, 403, 'dailyPhoneCap');
    expect(both.body.detail).toMatch(/set by the platform/);
    expect(await h.fingerprint()).toBe(before);
    const read = await h.call('GET', '/v1/center', { key: center.adminKey });
    expect(read.body).toMatchObject({ prices: { email: 0, smsSegment: 1, voice: 2 }, limits: { phoneCountries: ['IT'], dailyPhoneCap: 2000 } });
  });

  it('F1: the platform sets prices, destination countries and the daily cap; the admin sees them', async () => {
    const res = await h.call('PATCH', `/v1/centers/${center.id}/costs`, {
      key: PLATFORM_KEY,
      body: { prices: { smsSegment: 3 }, phoneCountries: ['IT', 'SM', 'VA'], dailyPhoneCap: 500 },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      centerId: center.id,
      prices: { email: 0, smsSegment: 3, voice: 2 },
      country: 'IT',
      phoneCountries: ['IT', 'SM', 'VA'],
      effectivePhoneCountries: ['IT', 'SM', 'VA'],
      dailyPhoneCap: 500,
    });
    expect((await h.call('GET', `/v1/centers/${center.id}/costs`, { key: PLATFORM_KEY })).body).toEqual(res.body);
    const read = await h.call('GET', '/v1/center', { key: center.adminKey });
    expect(read.body).toMatchObject({ prices: { smsSegment: 3 }, limits: { phoneCountries: ['IT', 'SM', 'VA'], dailyPhoneCap: 500 } });
    // Back to the center's own country.
    const reset = await h.call('PATCH', `/v1/centers/${center.id}/costs`, { key: PLATFORM_KEY, body: { phoneCountries: null } });
    expect(reset.body).toMatchObject({ phoneCountries: null, effectivePhoneCountries: ['IT'] });
  });

  it('F1: the costs routes are the platform’s: admin and booking keys 403; bad values 400 naming the field; unknown center 404', async () => {
    const before = await h.fingerprint();
    const patch = (body: unknown, key = PLATFORM_KEY, id = center.id) => h.call('PATCH', `/v1/centers/${id}/costs`, { key, body });
    expectProblem(await patch({ prices: { smsSegment: 0 } }, center.adminKey), 403);
    expectProblem(await patch({ prices: { smsSegment: 0 } }, center.bookingKey), 403);
    expectProblem(await h.call('GET', `/v1/centers/${center.id}/costs`, { key: center.adminKey }), 403);
    expectProblem(await patch({ phoneCountries: ['Italy'] }), 400, 'phoneCountries.0');
    expectProblem(await patch({ phoneCountries: ['XX'] }), 400, 'phoneCountries.0');
    expectProblem(await patch({ phoneCountries: [] }), 400, 'phoneCountries');
    expectProblem(await patch({ phoneCountries: ['IT', 'IT'] }), 400, 'phoneCountries');
    expectProblem(await patch({ country: 'it' }), 400, 'country');
    expectProblem(await patch({ dailyPhoneCap: -1 }), 400, 'dailyPhoneCap');
    expectProblem(await patch({ prices: { sms: 1 } }), 400, 'prices.sms');
    expectProblem(await patch({ dailyPhoneCap: 5 }, PLATFORM_KEY, '00000000-0000-4000-8000-000000000000'), 404);
    expect(await h.fingerprint()).toBe(before);
  });

  it('a new center’s SMS and calls go to its country (set by the platform at creation)', async () => {
    const res = await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, body: { name: 'Centro Sammarinese', country: 'SM' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.center.limits).toEqual({ phoneCountries: ['SM'], dailyPhoneCap: 2000 });
    expectProblem(await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, body: { name: 'X', country: 'ZZ' } }), 400, 'country');
  });

  it('X4: a callback URL that is not https, carries credentials, is too long or names a private host → 400/422 naming callback.url, nothing changed', async () => {
    const before = await h.fingerprint();
    const secret = 'a-long-enough-secret-123';
    for (const url of [
      'http://booking.example/hooks',
      'https://user:pass@booking.example/hooks',
      'https://127.0.0.1/hooks',
      'https://2130706433/hooks',
      'https://[::1]/hooks',
      'https://[::ffff:10.0.0.1]/hooks',
      'https://localhost/hooks',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.1.2.3/hooks',
      'https://192.168.1.1/hooks',
      `https://booking.example/${'x'.repeat(260)}`,
    ]) {
      const res = await h.call('PATCH', '/v1/center', { key: center.adminKey, body: { callback: { url, secret } } });
      // The URL's form is the schema's (400); where it may point is checked after (422).
      expectProblem(res, res.status === 400 ? 400 : 422, 'callback.url');
    }
    expect(await h.fingerprint()).toBe(before);
    const ok = await h.call('PATCH', '/v1/center', { key: center.adminKey, body: { callback: { url: 'https://booking.example/hooks', secret } } });
    expect(ok.status).toBe(200);
  });
});

describe('API: an alert per resource, day and kind (B4, issue 9)', () => {
  let h: ApiHarness;
  let center: Awaited<ReturnType<ApiHarness['newCenter']>>;
  beforeAll(async () => {
    h = await apiHarness();
    center = await h.newCenter('Centro Avvisi');
    await h.call('PUT', '/v1/resources/r1', { key: center.bookingKey, body: { name: 'Dott. Verdi' } });
  });
  afterAll(() => h?.close());

  it('B4: the same delay posted five times is one alert: 202 first, then 200 with the same id; the engine is told once', async () => {
    h.engine.calls = [];
    const body = { resourceId: 'r1', day: '2026-12-10', kind: 'delay', delayMinutes: 20 };
    const answers: CallResult[] = [];
    for (let i = 0; i < 5; i++) answers.push(await h.call('POST', '/v1/alerts', { key: center.bookingKey, body }));
    expect(answers.map((a) => a.status)).toEqual([202, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers[4]!.body).toMatchObject({ resourceId: 'r1', day: '2026-12-10', kind: 'delay', delayMinutes: 20 });
    expect(h.engine.callsOf('resourceAlert')).toHaveLength(1);
    expect((await h.call('GET', '/v1/alerts', { key: center.bookingKey })).body.data).toHaveLength(1);
  });

  it('B4: five at the same moment are still one alert', async () => {
    h.engine.calls = [];
    const body = { resourceId: 'r1', day: '2026-12-11', kind: 'absence' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => h.call('POST', '/v1/alerts', { key: center.bookingKey, body })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 202]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(h.engine.callsOf('resourceAlert')).toHaveLength(1);
  });

  it('B4: another kind or day is another alert; a different delay for the same day → 409 naming delayMinutes, nothing sent', async () => {
    h.engine.calls = [];
    const absence = await h.call('POST', '/v1/alerts', { key: center.bookingKey, body: { resourceId: 'r1', day: '2026-12-10', kind: 'absence' } });
    expect(absence.status).toBe(202);
    const nextDay = await h.call('POST', '/v1/alerts', { key: center.bookingKey, body: { resourceId: 'r1', day: '2026-12-12', kind: 'delay', delayMinutes: 20 } });
    expect(nextDay.status).toBe(202);
    const before = await h.fingerprint();
    const longer = await h.call('POST', '/v1/alerts', { key: center.bookingKey, body: { resourceId: 'r1', day: '2026-12-10', kind: 'delay', delayMinutes: 45 } });
    expectProblem(longer, 409, 'delayMinutes');
    expect(await h.fingerprint()).toBe(before);
    expect(h.engine.callsOf('resourceAlert')).toHaveLength(2);
  });

  it('B4: the OpenAPI document states the 200 of a repeat', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body;
    const responses = doc.paths['/v1/alerts'].post.responses;
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(['200', '202', '409']));
    expect(responses['200'].description).toMatch(/existing alert/);
  });
});
