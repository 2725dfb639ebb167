import { createHash, randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiEnv } from './context.js';
import { ApiError } from './problem.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_KEY_LENGTH = 200;

/**
 * Every write request runs in one transaction on the request's EntityManager: committed when
 * the answer is 2xx, rolled back otherwise, so a 4xx never leaves half a change behind.
 * Commit first, then the engine: handlers write their engine commands to the outbox in this
 * transaction (src/db/outbox.ts) and the relay delivers them after the commit, so a workflow
 * never hears of a change it cannot read yet, and a committed change is never left untold.
 *
 * X5: a POST with `Idempotency-Key` first inserts its record in that same transaction. The
 * unique (key id, Idempotency-Key) makes a concurrent twin wait for the first one's commit and
 * then replay its stored answer; a different method/path/body under the same key answers 422.
 * Only 2xx answers are stored: a rejected request changed nothing and may be retried.
 */
export function unitOfWork(options: { beforeCommit?: (() => Promise<void>) | undefined } = {}): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (READS.has(c.req.method)) return next();
    const em = c.get('em');
    const idempotencyKey = c.req.method === 'POST' ? c.req.header('idempotency-key') : undefined;
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_KEY_LENGTH)) {
      throw ApiError.validation([{ field: 'Idempotency-Key', message: `must be 1 to ${MAX_KEY_LENGTH} characters` }]);
    }
    await em.begin();
    try {
      let recordId: string | null = null;
      if (idempotencyKey !== undefined) {
        const requestHash = await hashRequest(c);
        const keyId = c.get('caller').keyId;
        recordId = randomUUID();
        const inserted = await em.execute<{ id: string }[]>(
          `insert into idempotency_records (id, created_at, updated_at, api_key_id, key, request_hash, status, response_body)
           values (?, now(), now(), ?, ?, ?, 0, '') on conflict (api_key_id, key) do nothing returning id`,
          [recordId, keyId, idempotencyKey, requestHash],
        );
        if (inserted.length === 0) {
          const [first] = await em.execute<{ request_hash: string; status: number; response_body: string }[]>(
            `select request_hash, status, response_body from idempotency_records where api_key_id = ? and key = ?`,
            [keyId, idempotencyKey],
          );
          await em.rollback();
          if (!first || first.request_hash !== requestHash) {
            throw ApiError.unprocessable('Idempotency-Key', 'This Idempotency-Key was already used with a different request.');
          }
          return c.body(first.response_body, first.status as ContentfulStatusCode, {
            'content-type': 'application/json',
            'idempotent-replayed': 'true',
          });
        }
      }
      await next();
      if (c.error || c.res.status >= 300) {
        await em.rollback();
        return;
      }
      if (recordId !== null) {
        const body = await c.res.clone().text();
        await em.execute(`update idempotency_records set status = ?, response_body = ?, updated_at = now() where id = ?`, [
          c.res.status,
          body,
          recordId,
        ]);
      }
      await options.beforeCommit?.();
      await em.commit();
    } catch (error) {
      if (em.isInTransaction()) await em.rollback();
      throw error;
    }
  };
}

async function hashRequest(c: Context<ApiEnv>): Promise<string> {
  const body = await c.req.text();
  return createHash('sha256').update(`${c.req.method}\n${c.req.path}\n${body}`).digest('hex');
}
