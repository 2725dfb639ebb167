import { createHmac, randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { claimIdempotencyKey, storeIdempotentAnswer } from '../db/idempotency-records.js';
import type { ApiEnv } from './context.js';
import { ApiError } from './problem.js';

export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/**
 * X5 Idempotency-Key, used by the unit of work inside the request's transaction.
 *
 * The request hash is an HMAC (a body may carry a password or a set-up link; a plain hash of it
 * could be guessed offline), keyed with a key derived from a server secret. An answer that
 * shows a secret (a new API key) is stored as the handler's redacted version (`answerOnce`), so
 * the table never holds a secret and a replay never repeats one. Records live
 * IDEMPOTENCY_TTL_HOURS (src/db/idempotency-records.ts); the worker's housekeeping deletes them.
 */
export function createIdempotency(serverSecret: string) {
  const hmacKey = createHmac('sha256', serverSecret).update('clinic-comms idempotency request hash v1').digest();

  async function requestHash(c: Context<ApiEnv>): Promise<string> {
    const body = await c.req.text();
    return createHmac('sha256', hmacKey).update(`${c.req.method}\n${c.req.path}\n${body}`).digest('hex');
  }

  return {
    /** The Idempotency-Key of a POST, checked; undefined when there is none. */
    keyOf(c: Context<ApiEnv>): string | undefined {
      const key = c.req.method === 'POST' ? c.req.header('idempotency-key') : undefined;
      if (key !== undefined && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
        throw ApiError.validation([{ field: 'Idempotency-Key', message: `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` }]);
      }
      return key;
    },

    /**
     * Claims the key inside the open transaction: a record id to store the answer under, or
     * the replay of the first answer (the caller rolls back and returns it).
     */
    async claim(c: Context<ApiEnv>, key: string): Promise<{ recordId: string } | { replay: Response }> {
      const hash = await requestHash(c);
      const claim = await claimIdempotencyKey(c.get('em'), { recordId: randomUUID(), apiKeyId: c.get('caller').keyId, key, requestHash: hash });
      if (claim.claimed) return { recordId: claim.recordId };
      if (claim.requestHash !== hash) {
        throw ApiError.unprocessable('Idempotency-Key', 'This Idempotency-Key was already used with a different request.');
      }
      return {
        replay: c.body(claim.responseBody, claim.status as ContentfulStatusCode, { 'content-type': 'application/json', 'idempotent-replayed': 'true' }),
      };
    },

    /** Stores the 2xx answer (or its redacted version) under the claimed record. */
    async store(c: Context<ApiEnv>, recordId: string): Promise<void> {
      const redacted = c.get('replayAnswer');
      const body = redacted !== undefined ? JSON.stringify(redacted) : await c.res.clone().text();
      await storeIdempotentAnswer(c.get('em'), recordId, c.res.status, body);
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;

/**
 * For an answer that shows a secret once: what a replay of the same Idempotency-Key answers
 * instead (the same answer without the secret). Only this version is stored.
 */
export function answerOnce<T>(c: Context<ApiEnv>, replay: T): void {
  c.set('replayAnswer', replay);
}
