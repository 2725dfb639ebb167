import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { EngineActivities, PrepareInput, PreparedMessage } from '../activities/types.js';
import { phoneTaskQueue } from './task-queues.js';

// Activity presets, named once. Local activities for database-only steps (no server round trip);
// regular activities for the provider call so each send is visible and retried on its own.
export const db = proxyLocalActivities<EngineActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
const sendRetry = { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 12 };
/** Email on the main queue, SMS and voice on the rate-limited phone queue; nearest appointments first. */
const senderFor = (channel: string, priorityKey: number) =>
  proxyActivities<EngineActivities>({
    ...(channel === 'email' ? {} : { taskQueue: phoneTaskQueue(workflowInfo().taskQueue) }),
    startToCloseTimeout: '2m',
    retry: sendRetry,
    priority: { priorityKey },
  });

export type MessageOutcome =
  | { messageId: string; channel: string; state: 'sent' }
  | { messageId: string; channel: string; state: 'skipped' | 'failed'; reason: string }
  | { messageId: string; channel: string; state: 'done_before' };

/**
 * The saga of one step: prepare (rules, render, insert rows) → per channel: debit → send →
 * on a permanent failure, fail + refund. Every step is idempotent on the message row, so a
 * replayed or retried step never sends or debits twice.
 */
export interface SendOrder {
  /** Temporal task-queue priority, 1 (first) … 5. */
  priorityKey?: number;
  /** Finer order among queued SMS / voice sends: the appointment start (epoch ms). */
  order?: number;
}

export async function deliverStep(input: PrepareInput, options: SendOrder = {}): Promise<MessageOutcome[]> {
  const prepared = await db.prepareMessages(input);
  return Promise.all(prepared.map((message) => deliverMessage(message, options)));
}

async function deliverMessage(message: PreparedMessage, options: SendOrder): Promise<MessageOutcome> {
  const base = { messageId: message.messageId, channel: message.channel };
  if (message.status === 'skipped') return { ...base, state: 'skipped', reason: message.reason ?? 'skipped' };
  if (message.status !== 'scheduled' && message.status !== 'sending') return { ...base, state: 'done_before' };
  const debit = await db.debitCredits({ messageId: message.messageId });
  if (!debit.ok) return { ...base, state: 'skipped', reason: debit.reason ?? 'no_credits' };
  try {
    await senderFor(message.channel, options.priorityKey ?? 3).sendMessage({ messageId: message.messageId, order: options.order });
    return { ...base, state: 'sent' };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    // Permanent provider failures arrive as non-retryable ApplicationFailures; exhausted retries too.
    const reason = err.cause instanceof ApplicationFailure ? (err.cause.type ?? err.cause.message) : 'send failed';
    await db.failMessage({ messageId: message.messageId, reason });
    return { ...base, state: 'failed', reason };
  }
}
