import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { findApiKey, hashApiKey } from '../db/api-keys.js';
import { ApiKey } from '../db/entities/index.js';
import { clientAddress, type AuthThrottle } from './auth-throttle.js';
import type { ApiEnv, Caller, Scope } from './context.js';
import { internalCaller } from './internal-caller.js';
import { ApiError } from './problem.js';

const challenge = { 'www-authenticate': 'Bearer' };

export function sameSecret(a: string, b: string): boolean {
  // Hash first so both sides have the same length and the comparison time says nothing.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

type CenterCaller = Extract<Caller, { kind: 'center' }>;

export interface ApiKeyCacheOptions {
  /** How long a found key is trusted without the database; a key revoked elsewhere works at most this long. 0 = no cache. */
  ttlMs: number;
  /** Most keys remembered; the oldest entry goes first. */
  maxEntries: number;
}

/**
 * Recently found center keys, by the SHA-256 of the key (never the key itself), so a busy
 * booking system's requests skip the api_keys lookup. Only valid keys are remembered: an
 * unknown key always asks the database, and cannot push valid ones out.
 */
export function createApiKeyCache(options: ApiKeyCacheOptions, nowMs: () => number) {
  const entries = new Map<string, { caller: CenterCaller; expiresAt: number }>();
  return {
    get(hash: string): CenterCaller | null {
      const entry = entries.get(hash);
      if (!entry) return null;
      if (entry.expiresAt > nowMs()) return entry.caller;
      entries.delete(hash);
      return null;
    },
    set(hash: string, caller: CenterCaller): void {
      if (options.ttlMs <= 0 || options.maxEntries <= 0) return;
      entries.delete(hash);
      if (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(hash, { caller: Object.freeze({ ...caller }), expiresAt: nowMs() + options.ttlMs });
    },
    /** A revoked key stops working at once in this process (others wait out the TTL). */
    forget(keyId: string): void {
      for (const [hash, entry] of entries) if (entry.caller.keyId === keyId) entries.delete(hash);
    },
  };
}

export type ApiKeyCache = ReturnType<typeof createApiKeyCache>;

/**
 * `Authorization: Bearer <key>`: the platform key from config (compared in constant time) or a
 * stored center key. The platform key gets an `api_keys` row of its own (hash only) so that its
 * Idempotency-Key records have an owner; a stored `platform` row never authenticates by itself.
 * Center keys found in the database are remembered in `keys` for its TTL. An address that has
 * failed too often gets 429 before its key is looked up (auth-throttle.ts).
 */
export function authenticate(platformKey: string, keys: ApiKeyCache, throttle: AuthThrottle): MiddlewareHandler<ApiEnv> {
  let platformKeyId: string | null = null;
  return async (c, next) => {
    const inProcess = internalCaller(c.env);
    if (inProcess) {
      // The console's own calls (internal-caller.ts): its session already named the center.
      c.set('caller', inProcess);
      return next();
    }
    const header = c.req.header('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const presented = match?.[1];
    if (!presented) throw new ApiError(401, 'An Authorization: Bearer <API key> header is required.', undefined, challenge);
    const em = c.get('em');
    let caller: Caller;
    if (sameSecret(presented, platformKey)) {
      platformKeyId ??= await platformKeyRow(em, platformKey);
      caller = { kind: 'platform', keyId: platformKeyId };
    } else {
      const hash = hashApiKey(presented);
      const known = keys.get(hash);
      if (known) {
        caller = known;
      } else {
        const address = clientAddress(c);
        const wait = throttle.retryAfterSeconds(address);
        if (wait !== null) {
          throw new ApiError(429, `Too many failed authentications from this address; retry in ${wait} s.`, undefined, { 'retry-after': String(wait) });
        }
        const row = await findApiKey(em, presented);
        if (!row || row.centerId === null || (row.scope !== 'booking' && row.scope !== 'admin')) {
          throttle.failed(address);
          throw new ApiError(401, 'The API key is not valid or has been revoked.', undefined, challenge);
        }
        const center: CenterCaller = { kind: 'center', keyId: row.id, centerId: row.centerId, scope: row.scope };
        keys.set(hash, center);
        caller = center;
      }
    }
    c.set('caller', caller);
    await next();
  };
}

async function platformKeyRow(em: ApiEnv['Variables']['em'], key: string): Promise<string> {
  const hash = hashApiKey(key);
  await em.execute(
    `insert into api_keys (id, created_at, updated_at, center_id, name, prefix, hash, scope)
     values (gen_random_uuid(), now(), now(), null, 'platform (PLATFORM_API_KEY)', 'platform', ?, 'platform')
     on conflict (hash) do nothing`,
    [hash],
  );
  const row = await em.findOneOrFail(ApiKey, { hash });
  return row.id;
}

/** 403 unless the caller has one of the scopes; `admin` covers everything of its own center. */
export function requireScope(...scopes: Scope[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const caller = c.get('caller');
    const scope: Scope = caller.kind === 'platform' ? 'platform' : caller.scope;
    const allowed = scopes.includes(scope) || (scope === 'admin' && scopes.includes('booking'));
    if (!allowed) throw new ApiError(403, `This operation needs a key with scope ${scopes.join(' or ')}; this key has scope ${scope}.`);
    await next();
  };
}

/** The center the caller is bound to (routes guarded by requireScope('booking' | 'admin') only). */
export function callerCenterId(caller: Caller): string {
  if (caller.kind !== 'center') throw new ApiError(403, 'This operation needs a center key.');
  return caller.centerId;
}
