import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './context.js';
import type { Idempotency } from './idempotency.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
 * Only 2xx answers are stored: a rejected request changed nothing and may be retried. The
 * record itself (HMAC, redaction of secrets, time to live) is idempotency.ts's.
 */
export function unitOfWork(
  idempotency: Idempotency,
  options: {
    beforeCommit?: (() => Promise<void>) | undefined;
    /** Writes that make their change in one statement (autocommit) and need no transaction. */
    inOneStatement?: (method: string, path: string) => boolean;
  } = {},
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (READS.has(c.req.method) || options.inOneStatement?.(c.req.method, c.req.path)) return next();
    const em = c.get('em');
    const idempotencyKey = idempotency.keyOf(c);
    await em.begin();
    try {
      let recordId: string | null = null;
      if (idempotencyKey !== undefined) {
        const claim = await idempotency.claim(c, idempotencyKey);
        if ('replay' in claim) {
          await em.rollback();
          return claim.replay;
        }
        recordId = claim.recordId;
      }
      await next();
      if (c.error || c.res.status >= 300) {
        await em.rollback();
        return;
      }
      if (recordId !== null) await idempotency.store(c, recordId);
      await options.beforeCommit?.();
      await em.commit();
    } catch (error) {
      if (em.isInTransaction()) await em.rollback();
      throw error;
    }
  };
}
