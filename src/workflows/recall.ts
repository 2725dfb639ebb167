import { condition, continueAsNew, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { EngineActivities } from '../activities/types.js';
import { recallSuperseded, type RecallInput } from './definitions.js';

const db = proxyLocalActivities<EngineActivities>({ startToCloseTimeout: '30s', retry: { maximumInterval: '1m' } });
const sender = proxyActivities<EngineActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 12 },
});

/** Longest single sleep before continue-as-new keeps history short over months. */
const MAX_SLEEP_MS = 30 * 24 * 3600_000;

/**
 * B2-recall: "time to book your next visit", keyed by patient + service. Started when an
 * appointment with a recall interval is attended; a new booking of that service supersedes it.
 * Only email is sent on the main queue; SMS/voice recalls go through the phone queue.
 */
export async function recallWorkflow(input: RecallInput): Promise<'sent' | 'superseded'> {
  let superseded = false;
  setHandler(recallSuperseded, () => {
    superseded = true;
  });
  const dueAt = new Date(input.dueAt).getTime();
  const remaining = dueAt - Date.now();
  if (remaining > MAX_SLEEP_MS) {
    if (await condition(() => superseded, MAX_SLEEP_MS, { summary: 'waiting for the recall date' })) return 'superseded';
    return continueAsNew<typeof recallWorkflow>(input);
  }
  if (remaining > 0 && (await condition(() => superseded, remaining, { summary: 'recall due' }))) return 'superseded';
  if (superseded) return 'superseded';

  const prepared = await db.prepareMessages({
    centerId: input.centerId,
    appointmentId: input.appointmentId,
    patientId: input.patientId,
    eventKind: 'recall',
    slot: `recall:${input.dueAt}`,
    dueAt: input.dueAt,
    recipient: 'patient',
  });
  const phoneQueue = `${workflowInfo().taskQueue}-phone`;
  for (const message of prepared) {
    if (message.status !== 'scheduled' && message.status !== 'sending') continue;
    const debit = await db.debitCredits({ messageId: message.messageId });
    if (!debit.ok) continue;
    const send = message.channel === 'email' ? sender : proxyActivities<EngineActivities>({ taskQueue: phoneQueue, startToCloseTimeout: '2m' });
    try {
      await send.sendMessage({ messageId: message.messageId });
    } catch {
      await db.failMessage({ messageId: message.messageId, reason: 'send failed' });
    }
  }
  return 'sent';
}
