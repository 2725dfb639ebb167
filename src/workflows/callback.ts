import { proxyActivities } from '@temporalio/workflow';
import type { EngineActivities } from '../activities/types.js';
import { PERMANENT_ERROR_TYPES } from './retry.js';

const activities = proxyActivities<EngineActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '1h', nonRetryableErrorTypes: PERMANENT_ERROR_TYPES },
});

/** X4: one signed callback to the booking system (e.g. an SMS opt-out), retried until accepted. */
export async function bookingCallbackWorkflow(input: { callbackId: string }): Promise<void> {
  await activities.deliverCallback(input);
}
