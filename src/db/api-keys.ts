import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApiKeyScope } from '../domain/events.js';
import { ApiKey } from './entities/index.js';

/** Keys look like `ck_booking_<43 url-safe chars>`; only their SHA-256 is stored. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export async function createApiKey(
  em: EntityManager,
  input: { centerId: string | null; scope: ApiKeyScope; name: string },
): Promise<{ key: string; row: ApiKey }> {
  const key = `ck_${input.scope}_${randomBytes(32).toString('base64url')}`;
  const row = em.create(ApiKey, {
    centerId: input.centerId,
    scope: input.scope,
    name: input.name,
    prefix: key.slice(0, 14),
    hash: hashApiKey(key),
  });
  await em.persistAndFlush(row);
  return { key, row };
}

/** The active key row for a presented key, or null. */
export async function findApiKey(em: EntityManager, key: string): Promise<ApiKey | null> {
  return em.findOne(ApiKey, { hash: hashApiKey(key), revokedAt: null });
}
