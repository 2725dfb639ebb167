import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { SecretStash } from './db/secret-stash.js';

/**
 * Periodic clean-up the worker runs: B7 secrets whose message never went out (cancelled, failed,
 * or the worker was down past their expiry) are deleted once expired, so no password or set-up
 * link outlives its time to live. Runs at start, then every `everyMs`; several workers may run
 * it at once (a delete is idempotent).
 */
export function startHousekeeping(deps: { orm: MikroORM; secrets: SecretStash; logger: Logger; everyMs: number }): { stop(): void; runOnce(): Promise<number> } {
  const runOnce = async () => {
    const purged = await deps.secrets.purgeExpired(deps.orm.em.fork());
    if (purged > 0) deps.logger.info({ purged }, 'expired message secrets purged');
    return purged;
  };
  const tick = () => {
    runOnce().catch((error: unknown) => deps.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'housekeeping failed; will retry'));
  };
  tick();
  const timer = setInterval(tick, deps.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
