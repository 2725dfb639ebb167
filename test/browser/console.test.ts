import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/api/app.js';
import { apiOnHarness, eventually, serverNow, startEngineHarness, type EngineHarness } from '../support/engine.js';

/**
 * #14: the console in a real browser (Debian's chromium, driven by playwright-core) against the
 * whole product: the REST API, the outbox relay and the Temporal test server, a real SMTP server.
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! The console browser tests are SKIPPED: ${CHROMIUM} is missing.\n!! Install Debian's package (apt-get install -y chromium); .ci/run does.\n${'!'.repeat(78)}\n`,
  );
}

const PLATFORM_KEY = 'platform-key-for-the-console-test-0123456789';

/** The page's globals read in page.evaluate (the project compiles without the DOM lib). */
interface PageGlobals {
  document: {
    activeElement: { id: string; textContent: string | null; getAttribute(name: string): string | null } | null;
    documentElement: { scrollWidth: number };
  };
}
const SHOTS = join(process.cwd(), 'test-artifacts', 'console');
const DAY = 86_400_000;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe.skipIf(!haveChromium)('console (#14) in a real browser', () => {
  let h: EngineHarness;
  let app: App;
  let call: ReturnType<typeof apiOnHarness>['call'];
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let a: { id: string; admin: string; booking: string };
  let b: { id: string; admin: string; booking: string };
  let pageA: Page;
  let contextA: BrowserContext;

  async function newCenter(name: string) {
    const created = await call(PLATFORM_KEY, 'POST', '/v1/centers', { name });
    expect(created.status).toBe(201);
    return { id: created.body.center.id as string, admin: created.body.keys.admin.key as string, booking: created.body.keys.booking.key as string };
  }
  async function consoleLink(centerId: string, staffName: string): Promise<string> {
    const link = await call(PLATFORM_KEY, 'POST', '/v1/console-links', { centerId, staffName });
    expect(link.status, JSON.stringify(link.body)).toBe(201);
    return (link.body.url as string).replace(/^https?:\/\/[^/]+/, base);
  }
  async function shot(page: Page, name: string) {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    h = await startEngineHarness();
    // The links the API makes point at the server the browser talks to.
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: (req, env) => app.fetch(req, env), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ({ app, call } = apiOnHarness(h, { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: base }));
    a = await newCenter('Studio Medico Verdi');
    b = await newCenter('Altro Centro');
    expect((await call(PLATFORM_KEY, 'POST', '/v1/credits/top-ups', { centerId: a.id, amount: 100, note: 'benvenuto' })).status).toBe(201);
    expect((await call(a.booking, 'PUT', '/v1/patients/P-1', { firstName: 'Marco', lastName: 'Neri', email: 'marco.neri@example.com', privacyConsent: true })).status).toBeLessThan(300);
    expect((await call(a.booking, 'PUT', '/v1/resources/R-1', { name: 'Dott.ssa Gialli' })).status).toBeLessThan(300);

    // playwright-core gives the browser a fresh --user-data-dir of its own (a temporary folder it
    // removes on close; it refuses the flag in args), and never downloads a browser.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    contextA = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'it-IT' });
    pageA = await contextA.newPage();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await h?.stop();
  });

  it('signs in through a single-use console link: an httpOnly, SameSite=Strict session cookie; the link works once', async () => {
    const link = await consoleLink(a.id, 'Giulia (segreteria)');
    await pageA.goto(link);
    await expect.poll(() => pageA.url()).toBe(`${base}/console`);
    expect(await pageA.locator('h1').textContent()).toBe('Configura');
    expect(await pageA.locator('header').textContent()).toContain('Giulia (segreteria)');
    const [cookie] = await contextA.cookies();
    expect(cookie).toMatchObject({ name: 'comms_console', httpOnly: true, sameSite: 'Strict', secure: false, path: '/console' });
    // No patient data in the title or the URL.
    expect(await pageA.title()).toBe('Configura · Comunicazione');
    await shot(pageA, 'settings');

    const again = await (await browser.newContext({ locale: 'it-IT' })).newPage();
    const second = await again.goto(link);
    expect(second?.status()).toBe(401);
    expect(await again.locator('[role=alert]').textContent()).toContain('già usato');
  });

  it('A2: toggling a channel in the matrix is what GET /v1/event-settings answers; the page says how many appointments were re-planned', async () => {
    await pageA.goto(`${base}/console`);
    await pageA.getByLabel('Conferma di prenotazione: SMS').check();
    await pageA.getByRole('button', { name: 'Salva: Conferma di prenotazione' }).click();
    await expect.poll(() => pageA.locator('.notice.ok').textContent()).toContain('ripianificati: 0');
    const settings = await call(a.admin, 'GET', '/v1/event-settings');
    expect(settings.body.data.find((s: { eventKind: string }) => s.eventKind === 'appointment.created').channels).toEqual(['email', 'sms']);
  });

  it('B2-rem options: a value the API refuses shows the API’s message beside the field, and nothing is saved', async () => {
    await pageA.goto(`${base}/console/events/appointment.reminder`);
    await pageA.getByLabel('Anticipo (minuti)', { exact: true }).fill('5');
    await pageA.getByRole('button', { name: 'Salva', exact: true }).last().click();
    await expect.poll(() => pageA.locator('#opt-leadMinutes-error').textContent()).toMatch(/15/);
    expect((await call(a.admin, 'GET', '/v1/event-settings/appointment.reminder')).body.options.leadMinutes).toBe(1440);
  });

  it('A4: a template with an unknown tag is flagged as you type and refused on save, with the API’s message', async () => {
    await pageA.goto(`${base}/console/templates?eventKind=appointment.reminder&channel=sms&locale=it`);
    await pageA.locator('#t-body').fill('Gentile [TRD99], a presto.');
    await expect.poll(() => pageA.locator('#t-live .tag-errors').textContent()).toContain('[TRD99]');
    await pageA.getByRole('button', { name: 'Salva', exact: true }).last().click();
    await expect.poll(() => pageA.locator('#t-body-error').textContent()).toContain('[TRD99]');
    expect((await call(a.admin, 'GET', '/v1/templates/appointment.reminder/sms/it')).body.custom).toBe(false);
  });

  it('E1: an appointment booked through the API shows in the summary and the chart; the preview renders against it', async () => {
    const start = new Date((await serverNow(h)).getTime() + 3 * DAY);
    const put = await call(a.booking, 'PUT', '/v1/appointments/A-1', {
      revision: 1, patientId: 'P-1', resourceId: 'R-1', startAt: start.toISOString(), endAt: new Date(start.getTime() + 30 * 60_000).toISOString(),
    });
    expect(put.status).toBeLessThan(300);
    await eventually(async () => h.smtp.mails.find((m) => m.envelope.to.includes('marco.neri@example.com')), (m) => !!m);

    const rows = await eventually(async () => {
      await pageA.goto(`${base}/console/messages`);
      return pageA.locator('table.messages tbody tr').allTextContents();
    }, (r) => r.some((t) => t.includes('Conferma di prenotazione') && t.includes('Consegnato') || t.includes('Inviato')));
    expect(rows.join('\n')).toContain('A-1');
    await expect.poll(() => pageA.locator('.chart-table[data-channel=email]').textContent()).toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(await pageA.locator('#message-charts canvas').count()).toBeGreaterThan(0);
    await shot(pageA, 'messages');

    await pageA.goto(`${base}/console/templates?eventKind=appointment.reminder&channel=sms&locale=it`);
    await pageA.locator('#t-body').fill('Gentile [TRD3], La aspettiamo.');
    await expect.poll(() => pageA.locator('#t-preview').textContent()).toContain('Gentile Marco, La aspettiamo.');
    expect(await pageA.locator('#t-live .counts').textContent()).toMatch(/Segmenti SMS: 1/);
    await shot(pageA, 'templates');
  });

  it('a second center’s session sees none of the first center’s data', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(await consoleLink(b.id, 'Luca'));
    await expect.poll(() => page.url()).toBe(`${base}/console`);
    await page.goto(`${base}/console/messages`);
    expect(await page.locator('main').textContent()).toContain('Nessun messaggio');
    await page.goto(`${base}/console/templates`);
    expect(await page.locator('#t-appointment').count()).toBe(0);
    await page.goto(`${base}/console/timeline`);
    await page.getByLabel('Appuntamento').fill('A-1');
    await page.getByRole('button', { name: 'Mostra' }).click();
    expect(await page.locator('main').textContent()).not.toContain('Conferma di prenotazione ·');
    await context.close();
  });

  it('CSRF: a console POST without the session’s token, or with a wrong one, is refused and changes nothing', async () => {
    await pageA.goto(`${base}/console`);
    const statuses = await pageA.evaluate(async () => {
      const post = (extra: Record<string, string>) =>
        fetch('/console/matrix/appointment.created', { method: 'POST', body: new URLSearchParams({ channels: 'voice', ...extra }) }).then((r) => r.status);
      return [await post({}), await post({ _csrf: 'not-the-token' })];
    });
    expect(statuses).toEqual([403, 403]);
    expect((await call(a.admin, 'GET', '/v1/event-settings/appointment.created')).body.channels).toEqual(['email', 'sms']);
  });

  it('axe-core finds no serious or critical accessibility violations on any console page', async () => {
    for (const path of ['/console', '/console/events/appointment.reminder', '/console/templates', '/console/messages', '/console/timeline', '/console/credits', '/console/alerts']) {
      await pageA.goto(`${base}${path}`);
      await pageA.evaluate(axeSource);
      const violations = await pageA.evaluate(async () => {
        // @ts-expect-error axe is the global the injected script defines
        const result = await window.axe.run(document, { resultTypes: ['violations'] });
        return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      expect(violations, path).toEqual([]);
    }
    await pageA.goto(`${base}/console/credits`);
    await shot(pageA, 'credits');
  });

  it('by keyboard alone: the skip link, then a channel toggled with Space and saved with Enter', async () => {
    await pageA.goto(`${base}/console`);
    await pageA.keyboard.press('Tab');
    expect(await pageA.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent)).toBe('Vai al contenuto');
    await pageA.keyboard.press('Enter');
    expect(await pageA.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe('main');
    await pageA.getByLabel('Cancellazione appuntamento: SMS').focus();
    await pageA.keyboard.press('Space');
    // The row's Save button is the next stops after the voice checkbox.
    await pageA.keyboard.press('Tab');
    await pageA.keyboard.press('Tab');
    expect(await pageA.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('aria-label'))).toBe('Salva: Cancellazione appuntamento');
    await pageA.keyboard.press('Enter');
    await expect.poll(() => pageA.locator('.notice.ok').textContent()).toContain('Cancellazione appuntamento');
    expect((await call(a.admin, 'GET', '/v1/event-settings/appointment.cancelled')).body.channels).toEqual(['email', 'sms']);
  });

  it('on a tablet (768 px wide) no page scrolls sideways', async () => {
    const context = await browser.newContext({ viewport: { width: 768, height: 1024 }, locale: 'it-IT', storageState: await contextA.storageState() });
    const page = await context.newPage();
    for (const path of ['/console', '/console/templates', '/console/messages', '/console/credits', '/console/alerts']) {
      await page.goto(`${base}${path}`);
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth), path).toBeLessThanOrEqual(768);
    }
    await page.goto(`${base}/console/messages`);
    await shot(page, 'messages-tablet');
    await context.close();
  });

  it('switches to English and back, staying on the same page', async () => {
    await pageA.goto(`${base}/console/credits`);
    await pageA.getByLabel('Lingua').selectOption('en');
    await pageA.locator('form[action="/console/language"] button').click();
    await expect.poll(() => pageA.locator('h1').textContent()).toBe('Credits');
    expect(await pageA.title()).toBe('Credits · Communications');
    await pageA.getByLabel('Language').selectOption('it');
    await pageA.locator('form[action="/console/language"] button').click();
    await expect.poll(() => pageA.locator('h1').textContent()).toBe('Crediti');
  });

  it('signs out: the session is gone and the console asks for a new link', async () => {
    await pageA.goto(`${base}/console`);
    await pageA.getByRole('button', { name: 'Esci' }).click();
    await expect.poll(() => pageA.locator('[role=alert]').textContent()).toContain('Sessione terminata');
    const after = await pageA.goto(`${base}/console`);
    expect(after?.status()).toBe(401);
  });
});
