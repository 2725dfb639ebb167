import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { IDEMPOTENCY_TTL_HOURS, purgeExpiredIdempotencyRecords } from './db/idempotency-records.js';
import { FANOUT_PROGRESS_TTL_DAYS, purgeOldFanoutProgress } from './db/policy-fanouts.js';
import type { SecretStash } from './db/secret-stash.js';

/**
 * Periodic clean-up the worker runs: B7 secrets whose message never went out (cancelled, failed,
 * or the worker was down past their expiry) are deleted once expired, so no password or set-up
 * link outlives its time to live; X5 Idempotency-Key records are deleted after their time to live
 * (IDEMPOTENCY_TTL_HOURS); X3 fan-out progress rows a week after their run finished. Runs at start, then every `everyMs`; several workers may run
 * it at once (a delete is idempotent).
 */
export function startHousekeeping(deps: { orm: MikroORM; secrets: SecretStash; logger: Logger; everyMs: number }): { stop(): void; runOnce(): Promise<number> } {
  const runOnce = async () => {
    const purged = await deps.secrets.purgeExpired(deps.orm.em.fork());
    if (purged > 0) deps.logger.info({ purged }, 'expired message secrets purged');
    const replays = await purgeExpiredIdempotencyRecords(deps.orm.em.fork());
    if (replays > 0) deps.logger.info({ purged: replays, ttlHours: IDEMPOTENCY_TTL_HOURS }, 'expired Idempotency-Key records purged');
    const fanouts = await purgeOldFanoutProgress(deps.orm.em.fork());
    if (fanouts > 0) deps.logger.info({ purged: fanouts, ttlDays: FANOUT_PROGRESS_TTL_DAYS }, 'old settings fan-out progress rows purged');
    return purged + replays + fanouts;
  };
  const tick = () => {
    runOnce().catch((error: unknown) => deps.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'housekeeping failed; will retry'));
  };
  tick();
  const timer = setInterval(tick, deps.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
