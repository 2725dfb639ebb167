import { retentionBatch } from '../db/retention.js';
import type { RetentionStep } from '../domain/retention.js';
import type { ActivityDeps } from './deps.js';

/** X7: one batch of one retention step (src/db/retention.ts); counts only in the log. */
export function createRetentionBatch(deps: ActivityDeps) {
  return async function retentionBatchActivity(input: { step: RetentionStep; batchSize: number }): Promise<number> {
    const changed = await retentionBatch(deps.orm.em.fork(), input.step, { now: new Date(), batchSize: input.batchSize });
    if (changed > 0) deps.logger.info({ step: input.step, changed }, 'retention batch');
    return changed;
  };
}
