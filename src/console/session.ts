import { createHmac } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { sameSecret } from '../api/auth.js';
import { CONSOLE_IDLE_MS, touchConsoleSession } from '../db/console-sessions.js';
import type { ConsoleSession } from '../db/entities/index.js';
import { wordsFor, type ConsoleLocale, type Words } from './i18n.js';

export const COOKIE = 'comms_console';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export interface ConsoleEnv {
  Variables: { session: ConsoleSession; sessionId: string; csrf: string; w: Words };
}

/** Secure everywhere but on loopback, where the local stack serves plain http. */
export function isLoopback(c: Context): boolean {
  const host = new URL(c.req.url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

export function setSessionCookie(c: Context, sessionId: string): void {
  setCookie(c, COOKIE, sessionId, { httpOnly: true, secure: !isLoopback(c), sameSite: 'Strict', path: '/console', maxAge: CONSOLE_IDLE_MS / 1000 });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, COOKIE, { path: '/console', secure: !isLoopback(c) });
}

/** The CSRF token of a session: an HMAC of its id under a server secret, so nothing more is stored. */
export function csrfToken(secret: string, sessionId: string): string {
  return createHmac('sha256', secret).update(`console-csrf|${sessionId}`).digest('base64url');
}

/**
 * Every console page but the sign-in: a live session (idle clock restarted), and on every POST
 * the session's CSRF token in the form field or the header, else 403 and nothing happens.
 */
export function requireSession(deps: { orm: MikroORM; secret: string; now: () => Date }): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const sessionId = getCookie(c, COOKIE);
    const session = sessionId ? await touchConsoleSession(deps.orm.em.fork(), sessionId, deps.now()) : null;
    if (!sessionId || !session) {
      clearSessionCookie(c);
      return c.html(signedOutPage(wordsFor(preferredLocale(c))), 401);
    }
    const csrf = csrfToken(deps.secret, sessionId);
    if (c.req.method === 'POST') {
      let presented = c.req.header(CSRF_HEADER);
      if (!presented && (c.req.header('content-type') ?? '').includes('form')) presented = String((await c.req.parseBody())[CSRF_FIELD] ?? '');
      if (!presented || !sameSecret(presented, csrf)) return c.html(plainPage(wordsFor(session.locale as ConsoleLocale), 'refused'), 403);
    }
    setSessionCookie(c, sessionId); // the cookie's own lifetime follows the idle timeout
    c.set('session', session);
    c.set('sessionId', sessionId);
    c.set('csrf', csrf);
    c.set('w', wordsFor(session.locale as ConsoleLocale));
    c.header('cache-control', 'no-store');
    await next();
  };
}

export function preferredLocale(c: Context): ConsoleLocale {
  return /^en\b/i.test(c.req.header('accept-language') ?? '') ? 'en' : 'it';
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A tiny page for the states without a session (signed out, bad link, refused). */
export function plainPage(w: Words, word: 'signedOut' | 'badLink' | 'refused'): string {
  return `<!doctype html><html lang="${w.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(w.t('title'))}</title><link rel="stylesheet" href="/console/static/console.css"></head><body><main id="main"><h1>${escape(w.t('title'))}</h1><p role="alert">${escape(w.t(word))}</p></main></body></html>`;
}

const signedOutPage = (w: Words) => plainPage(w, 'signedOut');

// Any console route's context (the pages share their helpers across paths).
export type ConsoleContext = Context<ConsoleEnv, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
