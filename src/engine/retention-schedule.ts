import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { retentionWorkflow } from '../workflows/index.js';

/** X7: the Schedule operators see in the Web UI (Schedules), and the id of the runs it starts. */
export const RETENTION_SCHEDULE_ID = 'privacy-retention';
/** Every night at 03:00 UTC. */
export const RETENTION_CRON = '0 3 * * *';

/**
 * Creates the retention Schedule, or brings an existing one up to date (task queue, batch size):
 * every worker calls it at start, so it exists wherever a worker runs. Overlap SKIP: a run still
 * busy (a first run over a large table) is never joined by a second one; a missed night is caught
 * up once within a day.
 */
export async function ensureRetentionSchedule(client: Client, options: { taskQueue: string; batchSize?: number }): Promise<void> {
  const schedule = {
    scheduleId: RETENTION_SCHEDULE_ID,
    spec: { cronExpressions: [RETENTION_CRON] },
    action: {
      type: 'startWorkflow',
      workflowType: 'retentionWorkflow',
      workflowId: RETENTION_SCHEDULE_ID,
      taskQueue: options.taskQueue,
      args: [{ batchSize: options.batchSize ?? 1000 }] as Parameters<typeof retentionWorkflow>,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  } satisfies ScheduleOptions;
  try {
    await client.schedule.create(schedule);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(RETENTION_SCHEDULE_ID).update((previous) => ({ ...previous, spec: schedule.spec, action: schedule.action, policies: schedule.policies }));
  }
}
