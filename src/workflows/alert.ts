import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { EngineActivities } from '../activities/types.js';
import { alertProgressQuery, type AlertInput } from './definitions.js';
import { PERMANENT_ERROR_TYPES } from './retry.js';

// An alert is worth something for minutes, not days: a bounded number of attempts (about ten
// minutes of retries), none at all for a permanent error.
const activities = proxyActivities<EngineActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumInterval: '30s', maximumAttempts: 25, nonRetryableErrorTypes: PERMANENT_ERROR_TYPES },
});

/**
 * B4: a resource is late by N minutes or absent for a day. Every appointment of that resource
 * on that day is signalled at once; each appointment workflow then tells its patient (the new
 * time for a delay, the cancellation for an absence).
 */
export async function resourceAlertWorkflow(input: AlertInput): Promise<{ affected: number; notified: number }> {
  let affected = 0;
  let notified = 0;
  let done = false;
  setHandler(alertProgressQuery, () => ({ alertId: input.alertId, affected, notified, done }));

  const appointmentIds = await activities.findAlertAppointments({ centerId: input.centerId, resourceId: input.resourceId, day: input.day });
  affected = appointmentIds.length;
  notified = await activities.signalAlert({
    centerId: input.centerId,
    alertId: input.alertId,
    appointmentIds,
    kind: input.kind,
    delayMinutes: input.delayMinutes,
  });
  done = true;
  await activities.recordAlertProgress({ centerId: input.centerId, alertId: input.alertId, affected, notified });
  return { affected, notified };
}
