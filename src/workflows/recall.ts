import { condition, continueAsNew, setHandler } from '@temporalio/workflow';
import { recallSuperseded, type RecallInput } from './definitions.js';
import { deliverStep } from './saga.js';

/** Longest single sleep before continue-as-new keeps history short over months. */
const MAX_SLEEP_MS = 30 * 24 * 3600_000;

/**
 * B2-recall: "time to book your next visit", keyed by patient + service. Started when an
 * appointment with a recall interval is attended; a new booking of that service supersedes it.
 */
export async function recallWorkflow(input: RecallInput): Promise<'sent' | 'superseded'> {
  let superseded = false;
  setHandler(recallSuperseded, () => {
    superseded = true;
  });
  const remaining = new Date(input.dueAt).getTime() - Date.now();
  if (remaining > MAX_SLEEP_MS) {
    if (await condition(() => superseded, MAX_SLEEP_MS, { summary: 'waiting for the recall date' })) return 'superseded';
    return continueAsNew<typeof recallWorkflow>(input);
  }
  if (remaining > 0) await condition(() => superseded, remaining, { summary: 'recall due' });
  if (superseded) return 'superseded';
  await deliverStep({
    centerId: input.centerId,
    appointmentId: input.appointmentId,
    patientId: input.patientId,
    eventKind: 'recall',
    slot: `recall:${input.dueAt}`,
    dueAt: new Date(Date.now()).toISOString(),
    recipient: 'patient',
  });
  return 'sent';
}
