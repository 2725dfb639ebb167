import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createApiKey } from './api-keys.js';
import { ApiKey, ConsoleLink, ConsoleSession } from './entities/index.js';

/** #14: console sign-in links and sessions. Tokens are random; only their SHA-256 is stored. */
export const CONSOLE_LINK_TTL_MS = 10 * 60_000;
export const CONSOLE_IDLE_MS = 30 * 60_000;
export const CONSOLE_MAX_MS = 12 * 3600_000;
const CONSOLE_KEY_NAME = 'console (staff sign-in)';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const token = () => randomBytes(32).toString('base64url');

export async function issueConsoleLink(em: EntityManager, input: { centerId: string; staffName: string; now: Date }): Promise<{ token: string; expiresAt: Date }> {
  const secret = token();
  const expiresAt = new Date(input.now.getTime() + CONSOLE_LINK_TTL_MS);
  em.create(ConsoleLink, { centerId: input.centerId, staffName: input.staffName, tokenHash: sha256(secret), expiresAt });
  await em.flush();
  return { token: secret, expiresAt };
}

/**
 * Uses the link once (a conditional update, so two tabs racing get one session) and opens a
 * session; null when the token is unknown, used or expired.
 */
export async function redeemConsoleLink(em: EntityManager, secret: string, now: Date): Promise<{ sessionId: string; session: ConsoleSession } | null> {
  const rows = await em.execute<{ id: string; center_id: string; staff_name: string }[]>(
    `update console_links set used_at = ? where token_hash = ? and used_at is null and expires_at > ? returning id, center_id, staff_name`,
    [now, sha256(secret), now],
  );
  const link = rows[0];
  if (!link) return null;
  const key = await consoleKeyOf(em, link.center_id);
  const [center] = await em.execute<{ locale: string }[]>(`select locale from centers where id = ?`, [link.center_id]);
  const sessionId = token();
  const session = em.create(ConsoleSession, {
    centerId: link.center_id,
    staffName: link.staff_name,
    sessionHash: sha256(sessionId),
    apiKeyId: key,
    locale: center?.locale === 'en' ? 'en' : 'it',
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + CONSOLE_MAX_MS),
    messageFilters: null,
  });
  await em.flush();
  return { sessionId, session };
}

/** The live session of a cookie, its idle clock restarted; null when unknown, idle too long or past its end. */
export async function touchConsoleSession(em: EntityManager, sessionId: string, now: Date): Promise<ConsoleSession | null> {
  const session = await em.findOne(ConsoleSession, { sessionHash: sha256(sessionId) });
  if (!session) return null;
  if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > CONSOLE_IDLE_MS) {
    await em.nativeDelete(ConsoleSession, { id: session.id });
    return null;
  }
  session.lastSeenAt = now;
  await em.flush();
  return session;
}

export async function endConsoleSession(em: EntityManager, sessionId: string): Promise<void> {
  await em.nativeDelete(ConsoleSession, { sessionHash: sha256(sessionId) });
}

export async function setConsoleLocale(em: EntityManager, sessionId: string, locale: 'it' | 'en'): Promise<void> {
  await em.nativeUpdate(ConsoleSession, { sessionHash: sha256(sessionId) }, { locale });
}

/** E1: the message summary's filters of a session (null = none). */
export async function setConsoleMessageFilters(em: EntityManager, sessionId: string, filters: Record<string, string> | null): Promise<void> {
  await em.nativeUpdate(ConsoleSession, { sessionHash: sha256(sessionId) }, { messageFilters: filters });
}

/**
 * The center's console key row: an admin-scoped api_keys row whose key nobody holds (only its
 * hash was ever stored), so the console's in-process calls have an owner like any other caller.
 */
async function consoleKeyOf(em: EntityManager, centerId: string): Promise<string> {
  const existing = await em.findOne(ApiKey, { centerId, name: CONSOLE_KEY_NAME, scope: 'admin', revokedAt: null });
  if (existing) return existing.id;
  return (await createApiKey(em, { centerId, scope: 'admin', name: CONSOLE_KEY_NAME })).row.id;
}
