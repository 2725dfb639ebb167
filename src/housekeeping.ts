import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { IDEMPOTENCY_TTL_HOURS, purgeExpiredIdempotencyRecords } from './db/idempotency-records.js';
import type { SecretStash } from './db/secret-stash.js';

/**
 * Periodic clean-up the worker runs: B7 secrets whose message never went out (cancelled, failed,
 * or the worker was down past their expiry) are deleted once expired, so no password or set-up
 * link outlives its time to live; X5 Idempotency-Key records are deleted after their time to live
 * (IDEMPOTENCY_TTL_HOURS). Runs at start, then every `everyMs`; several workers may run
 * it at once (a delete is idempotent).
 */
export function startHousekeeping(deps: { orm: MikroORM; secrets: SecretStash; logger: Logger; everyMs: number }): { stop(): void; runOnce(): Promise<number> } {
  const runOnce = async () => {
    const purged = await deps.secrets.purgeExpired(deps.orm.em.fork());
    if (purged > 0) deps.logger.info({ purged }, 'expired message secrets purged');
    const replays = await purgeExpiredIdempotencyRecords(deps.orm.em.fork());
    if (replays > 0) deps.logger.info({ purged: replays, ttlHours: IDEMPOTENCY_TTL_HOURS }, 'expired Idempotency-Key records purged');
    return purged + replays;
  };
  const tick = () => {
    runOnce().catch((error: unknown) => deps.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'housekeeping failed; will retry'));
  };
  tick();
  const timer = setInterval(tick, deps.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
