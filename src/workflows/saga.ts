import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { SkipReason } from '../domain/events.js';
import type { EngineActivities, PrepareInput, ReadyMessage } from '../activities/types.js';
import { PERMANENT_ERROR_TYPES } from './retry.js';
import { PHONE_HEARTBEAT_TIMEOUT_MS, SEND_RETRY, SEND_START_TO_CLOSE_MS } from '../messages/timing.js';
import { phoneTaskQueue } from './task-queues.js';

// Activity presets, named once. Local activities where a server round trip buys nothing: the
// database steps and the email send (idempotent on its row, retried in place). SMS and voice go
// through the server to their own rate-limited queue, so the per-sender pace holds (A3).
export const db = proxyLocalActivities<EngineActivities>({
  startToCloseTimeout: '30s',
  // Unbounded for a database outage (nothing may be lost), never for a permanent error.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: PERMANENT_ERROR_TYPES },
});
const sendRetry = { ...SEND_RETRY, nonRetryableErrorTypes: PERMANENT_ERROR_TYPES };
// The send's timing lives with the message's lifecycle (src/messages/timing.ts).
const emailSender = proxyLocalActivities<EngineActivities>({ startToCloseTimeout: SEND_START_TO_CLOSE_MS, retry: sendRetry });
/** SMS and voice on the rate-limited phone queue; nearest appointments first; a dead worker's sends move on after the heartbeat timeout. */
const phoneSender = (priorityKey: number) =>
  proxyActivities<EngineActivities>({
    taskQueue: phoneTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: SEND_START_TO_CLOSE_MS,
    heartbeatTimeout: PHONE_HEARTBEAT_TIMEOUT_MS,
    retry: sendRetry,
    priority: { priorityKey },
  });

export type MessageOutcome =
  /** `at`: when it went out, if that was before this check (the dispatcher sent it). */
  | { messageId: string; channel: string; state: 'sent'; at?: string }
  | { messageId: string; channel: string; state: 'skipped' | 'failed'; reason: string }
  | { messageId: string; channel: string; state: 'done_before' };

export interface SendOrder {
  /** Temporal task-queue priority, 1 (first) … 5. */
  priorityKey?: number;
  /** Finer order among queued SMS / voice sends: the appointment start (epoch ms). */
  order?: number;
}

/**
 * The saga of one step: prepare (rules, render, insert rows) → per channel: debit → send →
 * on a permanent failure, fail + refund. Every step is idempotent on the message row, so a
 * replayed or retried step never sends or debits twice.
 */
export async function deliverStep(input: PrepareInput, options: SendOrder = {}): Promise<MessageOutcome[]> {
  return sendReady(await prepareStep(input), options);
}

/** Prepare and debit, which may run ahead of the due time so that only the send is left then. */
export function prepareStep(input: PrepareInput): Promise<ReadyMessage[]> {
  return db.prepareAndDebit(input);
}

export function sendReady(messages: ReadyMessage[], options: SendOrder = {}): Promise<MessageOutcome[]> {
  return Promise.all(messages.map((message) => (message.state === 'ready' ? send(message, options) : message)));
}

/**
 * #13: prepared messages left to the email dispatcher (every one still to send was marked so when
 * prepared): the workflow then only checks them DISPATCH_GRACE_MS after their due time, through
 * the same send activity (it finds them sent, or sends them itself).
 */
export function leftToDispatcher(messages: ReadyMessage[]): boolean {
  const toSend = messages.filter((m) => m.state === 'ready');
  return toSend.length > 0 && toSend.every((m) => m.dispatched === true);
}

/** Prepared messages that will not go out after all (the plan changed, or too late): skipped, refunded. */
export async function releaseReady(messages: ReadyMessage[], reason: SkipReason): Promise<MessageOutcome[]> {
  const ids = messages.filter((m) => m.state === 'ready').map((m) => m.messageId);
  const released = ids.length ? await db.releaseMessages({ messageIds: ids, reason }) : [];
  // A row no longer `scheduled` (the dispatcher has it) was not released: its row says what became
  // of it. Histories from before #13 recorded no result: then every one counted as released.
  const skipped = new Set(Array.isArray(released) ? released : ids);
  return messages.map((m): MessageOutcome =>
    m.state !== 'ready' ? m : skipped.has(m.messageId) ? { messageId: m.messageId, channel: m.channel, state: 'skipped', reason } : { messageId: m.messageId, channel: m.channel, state: 'done_before' },
  );
}

async function send(message: ReadyMessage, options: SendOrder): Promise<MessageOutcome> {
  const base = { messageId: message.messageId, channel: message.channel };
  try {
    const input = { messageId: message.messageId, order: options.order, channel: message.channel };
    const result = await (message.channel === 'email' ? emailSender : phoneSender(options.priorityKey ?? 3)).sendMessage(input);
    // Histories recorded before #13's dispatcher have no `sentAt`.
    const at = result?.status === 'already_sent' ? result.sentAt : undefined;
    return { ...base, state: 'sent', ...(at ? { at } : {}) };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    // Permanent provider failures arrive as non-retryable ApplicationFailures; exhausted retries too.
    const reason = err.cause instanceof ApplicationFailure ? (err.cause.type ?? err.cause.message) : 'send failed';
    await db.failMessage({ messageId: message.messageId, reason });
    return { ...base, state: 'failed', reason };
  }
}
