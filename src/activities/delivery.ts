import { randomUUID } from 'node:crypto';
import { asyncLocalStorage } from '@temporalio/activity';
import type { Channel, SkipReason } from '../domain/events.js';
import { debitForMessage } from '../db/credits.js';
import { Center, Message } from '../db/entities/index.js';
import * as store from '../db/message-store.js';
import { sendMessage as sendOnce } from '../messages/send.js';
import { observerOf } from '../messages/observer.js';
import { OUT } from '../messages/transitions.js';
import type { ActivityDeps } from './deps.js';
import { notifyCenter } from './notices.js';
import type { DebitResult, SendOutcome } from './types.js';

/** B6: this many failures in 24 hours makes a "repeated delivery failures" notice. */
const FAILURE_NOTICE_THRESHOLD = 5;
/** Provider codes that mean our own setup is wrong, not the recipient (B6 misconfigured). */
const MISCONFIGURED_CODES = new Set([
  'EAUTH', // SMTP login refused
  '535', // SMTP authentication failed
  '20003', // Twilio credentials refused
  '21212', // Twilio: invalid From number
  '21606', // Twilio: From number not SMS-capable
  '21659', // Twilio: From not a Twilio number
  'invalid_sender', // center's email From address
  'invalid_reply_to',
  'invalid_sender_id', // center's SMS sender id
  'invalid_caller_number', // center's voice caller number
]);

const dayKey = (d: Date) => d.toISOString().slice(0, 10);

/** F1: one debit per message (unique ledger row); too few credits → skipped + B6 warning once a day. */
export function createDebitCredits(deps: ActivityDeps) {
  return async function debitCredits({ messageId }: { messageId: string }): Promise<DebitResult> {
    const em = deps.orm.em.fork();
    const message = await em.findOneOrFail(Message, { id: messageId });
    if (!['scheduled', 'sending', 'unknown'].includes(message.status)) return { ok: message.status !== 'skipped', reason: message.skipReason };
    const result = await debitForMessage(em, { centerId: message.centerId, messageId, amount: message.credits });
    const center = await em.findOneOrFail(Center, { id: message.centerId }, { refresh: true });
    const today = dayKey(new Date());
    if (!result.ok) {
      if (await store.skip(em, message, 'no_credits', ['scheduled'])) observerOf(deps).reached(message, 'skipped', 'no_credits');
      await notifyCenter(deps, em, { centerId: center.id, kind: 'credits_exhausted', slot: today });
      return { ok: false, reason: 'no_credits' };
    }
    if (result.balance <= center.lowCreditThreshold) {
      await notifyCenter(deps, em, { centerId: center.id, kind: 'credits_low', slot: today, detail: String(result.balance) });
    }
    return { ok: true, reason: null };
  };
}

/**
 * The provider call, through the message's owner (src/messages/send.ts): the claim is fenced by
 * this activity's identity and attempt number, and on the phone queue the attempt heartbeats, so
 * when a worker dies the next attempt takes the message over within seconds.
 */
export function createSendMessage(deps: ActivityDeps) {
  return async function sendMessage({ messageId, order, channel }: { messageId: string; order?: number; channel?: Channel }): Promise<SendOutcome> {
    const context = asyncLocalStorage.getStore();
    const orderOf = { ...(order === undefined ? {} : { order }), ...(channel === undefined ? {} : { channel }) };
    // Called outside Temporal (a saga-level test): an attempt of its own.
    if (!context) return sendOnce(deps, messageId, { token: { holder: `direct:${randomUUID()}`, attempt: 1 }, ...orderOf });
    const { info } = context;
    const holder = `${info.workflowExecution?.workflowId ?? '-'}/${info.workflowExecution?.runId ?? '-'}/${info.activityId}`;
    return sendOnce(deps, messageId, {
      token: { holder, attempt: info.attempt },
      ...orderOf,
      ...(info.isLocal ? {} : { heartbeat: () => context.heartbeat() }),
    });
  };
}

/** A permanent failure: the row says why, the credits come back (F1), admins hear of patterns (B6). */
export function createFailMessage(deps: ActivityDeps) {
  return async function failMessage({ messageId, reason }: { messageId: string; reason: string }): Promise<void> {
    const em = deps.orm.em.fork();
    const message = await em.findOneOrFail(Message, { id: messageId });
    if (message.status === 'failed' || message.status === 'skipped' || OUT.has(message.status)) return;
    if (await store.fail(em, message, reason, true)) observerOf(deps).reached(message, 'failed', reason);
    const today = dayKey(new Date());
    if (MISCONFIGURED_CODES.has(reason)) {
      await notifyCenter(deps, em, { centerId: message.centerId, kind: 'channel_misconfigured', slot: `${message.channel}:${today}`, detail: message.channel });
    }
    const recentFailures = await em.count(Message, { centerId: message.centerId, status: 'failed', failedAt: { $gte: new Date(Date.now() - 24 * 3600_000) } });
    if (recentFailures >= FAILURE_NOTICE_THRESHOLD) {
      await notifyCenter(deps, em, { centerId: message.centerId, kind: 'delivery_failures', slot: today, detail: String(recentFailures) });
    }
  };
}

/**
 * Prepared (and paid) messages the workflow will not send after all: the plan changed after
 * they were prepared ahead, or their time passed (X2). Only rows still `scheduled` move, so a
 * message already on its way (e.g. by the dispatcher) is never taken back; each one's credits
 * come back (F1). Returns the ids it released.
 */
export function createReleaseMessages(deps: ActivityDeps) {
  return async function releaseMessages({ messageIds, reason }: { messageIds: string[]; reason: SkipReason }): Promise<string[]> {
    const em = deps.orm.em.fork();
    const released: string[] = [];
    for (const message of await em.find(Message, { id: { $in: messageIds } })) {
      if (!(await store.skip(em, message, reason, ['scheduled']))) continue;
      observerOf(deps).reached(message, 'skipped', reason);
      released.push(message.id);
    }
    return released;
  };
}

