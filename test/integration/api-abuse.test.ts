import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, PLATFORM_KEY, type ApiHarness } from '../support/api.js';

/** Requests as they arrive on a socket from `address` (the throttle reads the peer address, never a header). */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });

describe('abuse protection: failed-key throttle, no-store answers, docs without a CDN', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness();
  });
  afterAll(() => h?.close());

  const get = async (path: string, key: string, address: string) => {
    const res = await h.app.request(path, { headers: { authorization: `Bearer ${key}` } }, from(address));
    return { status: res.status, headers: res.headers, body: (await res.json()) as { detail?: string } };
  };

  it('after 20 failed keys an address gets 429 with Retry-After before any key lookup; other addresses and known keys are unaffected', async () => {
    const center = await h.newCenter('Tentativi');
    expect((await get('/v1/center', center.adminKey, '198.51.100.7')).status).toBe(200); // now known to this process
    for (let i = 0; i < 20; i++) expect((await get('/v1/center', `ck_admin_guess-${i}`, '198.51.100.7')).status).toBe(401);

    const throttled = await get('/v1/center', 'ck_admin_guess-20', '198.51.100.7');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // A valid key never used before: it would pass if it were looked up, so 429 means no lookup was made.
    const fresh = await h.call('POST', `/v1/centers/${center.id}/api-keys`, { key: PLATFORM_KEY, body: { scope: 'booking', name: 'new' } });
    expect((await get('/v1/patients', fresh.body.key, '198.51.100.7')).status).toBe(429);
    // The key this process already knows still works from there; another address is not throttled.
    expect((await get('/v1/center', center.adminKey, '198.51.100.7')).status).toBe(200);
    expect((await get('/v1/patients', fresh.body.key, '203.0.113.9')).status).toBe(200);
    expect((await get('/v1/center', 'ck_admin_guess-21', '203.0.113.9')).status).toBe(401);
  });

  it('answers that may carry patient data say Cache-Control: no-store (API answers, errors, link pages)', async () => {
    const center = await h.newCenter('Riservato');
    await h.call('PUT', '/v1/patients/p1', { key: center.bookingKey, body: { firstName: 'Maria', mobile: '+393331234567' } });
    const patient = await h.call('GET', '/v1/patients/p1', { key: center.bookingKey });
    expect(patient.status).toBe(200);
    expect(patient.headers.get('cache-control')).toBe('no-store');
    expect((await h.call('GET', '/v1/patients/nobody', { key: center.bookingKey })).headers.get('cache-control')).toBe('no-store');
    expect((await h.call('GET', '/l/c/not-a-token')).headers.get('cache-control')).toBe('no-store');
  });

  it('/docs loads Swagger UI from this server (the pinned swagger-ui-dist), nothing from a CDN', async () => {
    const page = await h.call('GET', '/docs');
    expect(page.status).toBe(200);
    const urls = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui-dist/swagger-ui.css', '/docs/assets/swagger-ui-dist/swagger-ui-bundle.js']));
    expect(urls.filter((u) => /^(https?:)?\/\//.test(u))).toEqual([]);
    for (const url of urls) {
      const asset = await h.app.request(url);
      expect(asset.status, url).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, url).toBeGreaterThan(10_000);
    }
    expect((await h.app.request('/docs/assets/swagger-ui-dist/package.json')).status).toBe(404);
  });
});
