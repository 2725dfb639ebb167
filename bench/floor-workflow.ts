/**
 * The bare Temporal floor (bench/temporal-floor.ts): one workflow per reminder that sleeps until
 * its due time and runs one local activity sending one email. No database, no state, no plan:
 * what any one-workflow-per-appointment design pays on this server and worker.
 */
import { proxyLocalActivities, sleep } from '@temporalio/workflow';

export interface FloorActivities {
  sendFloorEmail(input: { messageId: string }): Promise<void>;
}

const { sendFloorEmail } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '30s' });

export async function floorWorkflow(input: { messageId: string; dueAt: string }): Promise<void> {
  await sleep(Math.max(1, new Date(input.dueAt).getTime() - Date.now()));
  await sendFloorEmail({ messageId: input.messageId });
}
