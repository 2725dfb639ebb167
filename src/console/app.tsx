import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Hono } from 'hono';
import { endConsoleSession, redeemConsoleLink, setConsoleLocale } from '../db/console-sessions.js';
import { fanoutProgress, settingsVersionOf, type FanoutProgress } from '../db/policy-fanouts.js';
import { apiFor, problemsOf, type ApiAnswer, type InProcessFetch } from './api.js';
import { wordsFor } from './i18n.js';
import { replanText, type PageContext } from './layout.js';
import { alertRoutes } from './pages/alerts.js';
import { creditRoutes } from './pages/credits.js';
import { messageRoutes } from './pages/messages.js';
import { EventOptionsPage, isEventKind, optionsFromForm, SettingsPage, type Outcome } from './pages/settings.js';
import { templateRoutes } from './pages/templates.js';
import { clearSessionCookie, plainPage, preferredLocale, requireSession, setSessionCookie, type ConsoleContext, type ConsoleEnv } from './session.js';

export interface ConsoleDeps {
  orm: MikroORM;
  /** Keys the CSRF tokens (an HMAC of the session id). */
  secret: string;
  now: () => Date;
  /** The app's own routes, in-process. */
  fetch: InProcessFetch;
}

const SECTIONS = ['settings', 'templates', 'messages', 'timeline', 'credits', 'alerts'];
const require = createRequire(import.meta.url);
const STATIC: Record<string, { file: string; type: string }> = {
  'console.js': { file: new URL('./static/console.js', import.meta.url).pathname, type: 'text/javascript' },
  'console.css': { file: new URL('./static/console.css', import.meta.url).pathname, type: 'text/css' },
  'uPlot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript' },
  'uPlot.min.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css' },
};

/** #14: the clinic's web console at /console, a client of the app's own /v1 routes. */
export function consoleApp(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.use('*', async (c, next) => {
    await next();
    c.header('content-security-policy', "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
  });

  app.get('/static/:name', async (c) => {
    const entry = STATIC[c.req.param('name')];
    if (!entry) return c.notFound();
    return c.body(await readFile(entry.file), 200, { 'content-type': `${entry.type}; charset=utf-8`, 'cache-control': 'public, max-age=3600' });
  });

  // The link from POST /v1/console-links: used once, then a session cookie. The answer is a page
  // that moves on by itself: a SameSite=Strict cookie set while arriving from another site is
  // only sent on the next same-site navigation.
  app.get('/enter', async (c) => {
    const token = c.req.query('token') ?? '';
    const redeemed = token ? await redeemConsoleLink(deps.orm.em.fork(), token, deps.now()) : null;
    c.header('cache-control', 'no-store');
    if (!redeemed) return c.html(plainPage(wordsFor(preferredLocale(c)), 'badLink'), 401);
    setSessionCookie(c, redeemed.sessionId);
    const w = wordsFor(redeemed.session.locale === 'en' ? 'en' : 'it');
    return c.html(
      `<!doctype html><html lang="${w.locale}"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/console"><title>${w.t('title')}</title></head><body><p><a href="/console">${w.t('continue')}</a></p></body></html>`,
    );
  });

  app.use('*', requireSession(deps));

  app.post('/logout', async (c) => {
    await endConsoleSession(deps.orm.em.fork(), c.var.sessionId);
    clearSessionCookie(c);
    return c.html(plainPage(c.var.w, 'signedOut'));
  });

  app.post('/language', async (c) => {
    const body = await c.req.parseBody();
    await setConsoleLocale(deps.orm.em.fork(), c.var.sessionId, body.locale === 'en' ? 'en' : 'it');
    // Back to the same section (pages send no Referer: referrer-policy no-referrer).
    const section = String(body.section ?? '');
    return c.redirect(SECTIONS.includes(section) && section !== 'settings' ? `/console/${section}` : '/console', 303);
  });

  const ctxOf = (c: { var: ConsoleEnv['Variables'] }): PageContext => ({ w: c.var.w, csrf: c.var.csrf, session: c.var.session });
  const api = (c: { var: ConsoleEnv['Variables'] }) => apiFor(deps.fetch, c.var.session);
  /**
   * X3: a change through the API, and the re-planning it started: the settings version it raised
   * (null when it raised none), whose fan-out the page then follows.
   */
  async function withReplan(c: { var: ConsoleEnv['Variables'] }, save: () => Promise<ApiAnswer>): Promise<[ApiAnswer, FanoutProgress | null]> {
    const centerId = c.var.session.centerId;
    const before = await settingsVersionOf(deps.orm.em.fork(), centerId);
    const answer = await save();
    const after = await settingsVersionOf(deps.orm.em.fork(), centerId);
    return [answer, answer.status < 400 && after > before ? await fanoutProgress(deps.orm.em.fork(), centerId, after) : null];
  }

  // The fan-out's progress for one settings version of the session's center (the page polls it).
  app.get('/replan/:version{[0-9]{1,9}}', async (c) => {
    const progress = await fanoutProgress(deps.orm.em.fork(), c.var.session.centerId, Number(c.req.param('version')));
    return c.json({ ...progress, text: replanText(c.var.w, progress) });
  });

  /** `typed`: the center form as sent, shown again (with the API's messages) when it was refused. */
  async function settingsPage(c: ConsoleContext, outcome: Outcome, status: 200 | 400 | 422 = 200, typed?: Record<string, unknown>) {
    const [center, settings] = await Promise.all([api(c).read('/center'), api(c).read('/event-settings')]);
    const shown = typed ? { ...center, ...typed, senders: { ...center.senders, ...(typed.senders as object) } } : center;
    return c.html(<SettingsPage ctx={ctxOf(c)} center={shown} settings={settings.data} outcome={outcome} />, status);
  }

  app.get('/', (c) => settingsPage(c, {}));

  app.post('/center', async (c) => {
    const form = await c.req.parseBody();
    const text = (name: string) => {
      const v = String(form[name] ?? '').trim();
      return v === '' ? null : v;
    };
    const patch = {
      communicationsEnabled: form.communicationsEnabled === 'on',
      privacyRequired: form.privacyRequired === 'on',
      readTracking: form.readTracking === 'on',
      senders: {
        emailFromName: text('emailFromName'),
        emailFromAddress: text('emailFromAddress'),
        emailReplyTo: text('emailReplyTo'),
        smsSenderId: text('smsSenderId'),
        voiceCallerNumber: text('voiceCallerNumber'),
      },
    };
    const [answer, replan] = await withReplan(c, () => api(c).call('PATCH', '/center', patch));
    const problems = problemsOf(answer);
    if (problems.detail) return settingsPage(c, { form: 'center', error: c.var.w.t('notSaved'), fields: problems.fields }, 400, patch);
    return settingsPage(c, { form: 'center', ok: c.var.w.t('saved'), replan });
  });

  app.post('/matrix/:kind', async (c) => {
    const kind = c.req.param('kind');
    if (!isEventKind(kind)) return c.notFound();
    const form = await c.req.parseBody({ all: true });
    const channels = ([] as unknown[]).concat(form.channels ?? []).map(String);
    const current = await api(c).read(`/event-settings/${kind}`);
    const [answer, replan] = await withReplan(c, () => api(c).call('PUT', `/event-settings/${kind}`, { channels, options: current.options }));
    const problems = problemsOf(answer);
    if (problems.detail) return settingsPage(c, { form: 'matrix', error: `${c.var.w.event(kind)}: ${[...problems.fields.values()].join('; ') || problems.detail}` }, 400);
    return settingsPage(c, { form: 'matrix', ok: `${c.var.w.event(kind)}: ${c.var.w.t('saved')}`, replan });
  });

  app.get('/events/:kind', async (c) => {
    const kind = c.req.param('kind');
    if (!isEventKind(kind)) return c.notFound();
    return c.html(<EventOptionsPage ctx={ctxOf(c)} setting={await api(c).read(`/event-settings/${kind}`)} outcome={{}} />);
  });

  app.post('/events/:kind', async (c) => {
    const kind = c.req.param('kind');
    if (!isEventKind(kind)) return c.notFound();
    const form = (await c.req.parseBody({ all: true })) as Record<string, string | string[]>;
    const current = await api(c).read(`/event-settings/${kind}`);
    const options = optionsFromForm(kind, form);
    const [answer, replan] = await withReplan(c, () => api(c).call('PUT', `/event-settings/${kind}`, { channels: current.channels, options }));
    const problems = problemsOf(answer);
    if (problems.detail) {
      // Show what was typed, with the API's message beside each refused field.
      const typed = { ...current, options: { ...current.options, ...options } };
      return c.html(<EventOptionsPage ctx={ctxOf(c)} setting={typed} outcome={{ error: c.var.w.t('notSaved'), fields: problems.fields }} />, 400);
    }
    return c.html(<EventOptionsPage ctx={ctxOf(c)} setting={answer.body} outcome={{ ok: c.var.w.t('saved'), replan }} />);
  });

  templateRoutes(app, { api, ctxOf, withReplan });
  messageRoutes(app, { api, ctxOf, orm: deps.orm, now: deps.now });
  creditRoutes(app, { api, ctxOf });
  alertRoutes(app, { api, ctxOf, orm: deps.orm });
  return app;
}

export type ConsoleApp = Hono<ConsoleEnv>;
export interface PageDeps {
  api: (c: { var: ConsoleEnv['Variables'] }) => ReturnType<typeof apiFor>;
  ctxOf: (c: { var: ConsoleEnv['Variables'] }) => PageContext;
}
export type WithReplan = (c: { var: ConsoleEnv['Variables'] }, save: () => Promise<ApiAnswer>) => Promise<[ApiAnswer, FanoutProgress | null]>;
