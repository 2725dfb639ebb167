import { proxyActivities } from '@temporalio/workflow';
import type { EngineActivities } from '../activities/types.js';

const fanout = proxyActivities<EngineActivities>({
  // Paging through 20 000 appointments takes tens of seconds; the heartbeat says it is alive.
  startToCloseTimeout: '30m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m' },
});

/**
 * X3: a settings change reaches every open appointment of the center, outside the request that
 * made it. One run per (center, settings version); the Web UI shows each one and its progress.
 */
export async function policyFanoutWorkflow(input: { centerId: string; settingsVersion: number }): Promise<{ signalled: number }> {
  const { signalled } = await fanout.signalPolicyChanged(input);
  return { signalled };
}
