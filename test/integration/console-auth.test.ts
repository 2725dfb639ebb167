import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, expectProblem, PLATFORM_KEY, type ApiHarness } from '../support/api.js';

/**
 * #14: getting into the console. Links and sessions as a browser meets them (plain HTTP here;
 * test/browser/console.test.ts drives a real browser through the same pages).
 */
describe('console sign-in (#14): single-use links, sessions, CSRF', () => {
  let h: ApiHarness;
  let clock = Date.parse('2030-06-03T08:00:00Z');
  let center: Awaited<ReturnType<ApiHarness['newCenter']>>;
  const ORIGIN = 'https://comms.example.test';

  beforeAll(async () => {
    h = await apiHarness({ now: () => new Date(clock) });
    center = await h.newCenter('Studio Rossi');
  });
  afterAll(() => h?.close());

  async function link(staffName = 'Anna'): Promise<string> {
    const res = await h.call('POST', '/v1/console-links', { key: PLATFORM_KEY, body: { centerId: center.id, staffName } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.url as string;
  }
  /** Opens a link the way a browser does; answers the session cookie and the page's CSRF token. */
  async function enter(url: string): Promise<{ cookie: string; csrf: string }> {
    const res = await h.app.request(url);
    expect(res.status).toBe(200);
    const cookie = /comms_console=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
    const page = await h.app.request(`${ORIGIN}/console`, { headers: { cookie: `comms_console=${cookie}` } });
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(await page.text())![1]!;
    return { cookie, csrf };
  }

  it('only the platform issues links; a bad body names the field', async () => {
    expectProblem(await h.call('POST', '/v1/console-links', { key: center.adminKey, body: { centerId: center.id, staffName: 'x' } }), 403);
    expectProblem(await h.call('POST', '/v1/console-links', { key: PLATFORM_KEY, body: { centerId: center.id, staffName: '' } }), 400, 'staffName');
    expectProblem(await h.call('POST', '/v1/console-links', { key: PLATFORM_KEY, body: { centerId: '00000000-0000-4000-8000-000000000000', staffName: 'x' } }), 404);
  });

  it('a link opens one session: Secure, httpOnly, SameSite=Strict cookie; neither the token nor the session id is stored', async () => {
    const url = await link();
    expect(url.startsWith(`${ORIGIN}/console/enter?token=`)).toBe(true);
    const token = new URL(url).searchParams.get('token')!;
    const res = await h.app.request(url);
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/comms_console=[^;]+; Max-Age=1800; Path=\/console; HttpOnly; Secure; SameSite=Strict/);
    const sessionId = /comms_console=([^;]+)/.exec(setCookie)![1]!;
    expect(await h.tablesContaining(token)).toEqual([]);
    expect(await h.tablesContaining(sessionId)).toEqual([]);
    // Used once: the second visit is refused.
    expect((await h.app.request(url)).status).toBe(401);
  });

  it('a link older than 10 minutes is refused', async () => {
    const url = await link();
    clock += 11 * 60_000;
    expect((await h.app.request(url)).status).toBe(401);
  });

  it('a session idle for more than 30 minutes is over; activity keeps it alive', async () => {
    const { cookie } = await enter(await link());
    const visit = () => h.app.request(`${ORIGIN}/console/credits`, { headers: { cookie: `comms_console=${cookie}` } });
    clock += 25 * 60_000;
    expect((await visit()).status).toBe(200);
    clock += 25 * 60_000;
    expect((await visit()).status).toBe(200);
    clock += 31 * 60_000;
    expect((await visit()).status).toBe(401);
  });

  it('A1 through the console: a form without the CSRF token is refused and changes nothing; with it, the master switch goes off', async () => {
    const { cookie, csrf } = await enter(await link());
    const post = (form: Record<string, string>) =>
      h.app.request(`${ORIGIN}/console/center`, {
        method: 'POST',
        headers: { cookie: `comms_console=${cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
    const before = await h.fingerprint();
    expect((await post({ privacyRequired: 'on' })).status).toBe(403);
    expect((await post({ privacyRequired: 'on', _csrf: `${csrf}x` })).status).toBe(403);
    expect(await h.fingerprint()).toBe(before);
    expect((await h.call('GET', '/v1/center', { key: center.adminKey })).body.communicationsEnabled).toBe(true);

    const saved = await post({ privacyRequired: 'on', _csrf: csrf });
    expect(saved.status).toBe(200);
    // X3: the change raised the settings version; the page names it for the script to follow its fan-out.
    expect(await saved.text()).toMatch(/<p id="replan"[^>]* data-version="1" data-state="waiting">Ripianificazione degli appuntamenti: in partenza…<\/p>/);
    expect((await h.call('GET', '/v1/center', { key: center.adminKey })).body).toMatchObject({ communicationsEnabled: false, privacyRequired: true });
  });

  it('the API’s message for a refused sender shows next to its field, and nothing changes', async () => {
    const { cookie, csrf } = await enter(await link());
    const res = await h.app.request(`${ORIGIN}/console/center`, {
      method: 'POST',
      headers: { cookie: `comms_console=${cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, communicationsEnabled: 'on', emailFromAddress: 'not-an-address' }).toString(),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/id="emailFromAddress-error"[^>]*>[^<]+</);
    expect((await h.call('GET', '/v1/center', { key: center.adminKey })).body.senders.emailFromAddress).toBeNull();
  });

  it('signing out ends the session', async () => {
    const { cookie, csrf } = await enter(await link());
    const out = await h.app.request(`${ORIGIN}/console/logout`, {
      method: 'POST',
      headers: { cookie: `comms_console=${cookie}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(out.status).toBe(200);
    expect((await h.app.request(`${ORIGIN}/console`, { headers: { cookie: `comms_console=${cookie}` } })).status).toBe(401);
  });
});
