import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { EngineActivities } from '../activities/types.js';
import { RETENTION_STEPS, type RetentionStep } from '../domain/retention.js';

const activities = proxyActivities<EngineActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m' },
});

/** Batches per run before continue-as-new keeps the history short on a first run over millions of rows. */
const BATCHES_PER_RUN = 200;

export interface RetentionInput {
  batchSize: number;
  /** Where a continued run picks up. */
  step?: RetentionStep;
  /** Rows changed so far by this run and the runs it continued from. */
  totals?: Partial<Record<RetentionStep, number>>;
}

/**
 * X7: one retention run, started by the `privacy-retention` Schedule (overlap SKIP: one run at a
 * time). Each step is done in batches, each batch one activity (visible in the Web UI, retried on
 * its own); a run that stops anywhere is resumed by the next, since a batch only looks at what is
 * left. Returns the rows changed per step.
 */
export async function retentionWorkflow(input: RetentionInput): Promise<Partial<Record<RetentionStep, number>>> {
  const totals = { ...input.totals };
  let batches = 0;
  for (const step of RETENTION_STEPS.slice(RETENTION_STEPS.indexOf(input.step ?? RETENTION_STEPS[0]))) {
    for (;;) {
      if (batches >= BATCHES_PER_RUN) await continueAsNew<typeof retentionWorkflow>({ batchSize: input.batchSize, step, totals });
      const changed = await activities.retentionBatch({ step, batchSize: input.batchSize });
      batches += 1;
      totals[step] = (totals[step] ?? 0) + changed;
      if (changed < input.batchSize) break;
    }
  }
  return totals;
}
