import { ApplicationFailure } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ChannelError, type OutgoingMessage } from '../channels/types.js';
import type { Channel } from '../domain/events.js';
import { Message } from '../db/entities/index.js';
import * as store from '../db/message-store.js';
import type { ClaimToken } from '../db/message-store.js';
import type { ActivityDeps } from '../activities/deps.js';
import { isSenderOptedOut } from '../db/sms-replies.js';
import { observerOf } from './observer.js';
import { outgoing, withSecret } from './outgoing.js';
import { SEND_LEASE_MS, SEND_RENEW_EVERY_MS } from './timing.js';
import { OUT } from './transitions.js';

/**
 * One send of one message, at most one provider call per attempt, none behind another live
 * attempt's back:
 *
 * - the attempt claims the row (`sending`, its token, a lease it renews while it lives);
 * - the provider definitely did not take it → `scheduled` again at once (the next attempt claims it);
 * - the call broke after it began, or the attempt died → `unknown`. The next attempt resolves it:
 *   SMS and voice are looked up at Twilio (found → `sent` with the provider id, never sent again;
 *   not found → sent); email cannot be asked, so it is sent once more with the same Message-ID and
 *   marked `possible_duplicate`; an email whose resend ends unknown too is `failed` (`outcome_unknown`).
 * - a newer attempt of the same activity takes a `sending` claim over at once (Temporal starts it
 *   only after the previous attempt ended); anyone else waits for the lease to run out.
 */

/** `sentAt`: when a message found already sent went out (the dispatcher sent it before the workflow's check). */
export type SendOutcome = { status: 'sent' } | { status: 'already_sent'; sentAt?: string };

export interface SendAttempt {
  token: ClaimToken;
  /** Under the SMS / voice pace, lower goes first (the appointment start). */
  order?: number;
  /** Tells Temporal this attempt lives (phone queue); called every SEND_RENEW_EVERY_MS. */
  heartbeat?: () => void;
  /** The channel, known from preparation: an email takes the one-statement claim first. */
  channel?: Channel;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function sendMessage(deps: ActivityDeps, messageId: string, attempt: SendAttempt): Promise<SendOutcome> {
  const em = deps.orm.em.fork();
  let claimed = false;
  // Alive while the attempt runs: heartbeats, and the claim's lease renewed once it is held.
  const ticker = setInterval(() => {
    attempt.heartbeat?.();
    if (claimed) void store.renew(em.fork(), messageId, attempt.token, SEND_LEASE_MS).catch(() => undefined);
  }, SEND_RENEW_EVERY_MS);
  try {
    // How long to wait behind another live attempt before giving this attempt up (it is retried).
    const patience = Date.now() + 2 * SEND_LEASE_MS;
    // An email (unpaced, no per-sender opt-outs) that is simply due: the checks are folded into
    // the claim, so the send costs two statements (claim, sent). Anything else: the full path.
    const clear = attempt.channel === 'email' ? await store.claimIfClear(em, messageId, attempt.token, SEND_LEASE_MS) : null;
    if (clear) {
      claimed = true;
      await sendClaimed(deps, em, clear, attempt.token);
      return { status: 'sent' };
    }
    for (;;) {
      const message = await em.findOneOrFail(Message, { id: messageId }, { refresh: true });
      if (OUT.has(message.status)) return { status: 'already_sent', ...(message.sentAt ? { sentAt: message.sentAt.toISOString() } : {}) };
      if (message.status === 'skipped' || message.status === 'failed') {
        throw ApplicationFailure.nonRetryable(`message is ${message.status}`, 'not_sendable');
      }
      if (message.status === 'sending') {
        if (await store.takeOver(em, messageId, attempt.token)) continue;
        // Another attempt holds it and lives: look again shortly (it ends, or its lease runs out).
        if (Date.now() > patience) throw ApplicationFailure.retryable('another attempt is sending this message', 'send_in_progress');
        await sleep(250);
        continue;
      }
      const context = await store.sendingContext(em, message);
      if (!context) throw ApplicationFailure.nonRetryable("the message's center no longer exists", 'center_missing');
      const out: OutgoingMessage = { ...outgoing(deps, context.center, message), ...(message.secretRef ? await withSecret(deps, em, message) : {}) };
      let possibleDuplicate = false;
      if (message.status === 'unknown') {
        const resolved = await resolveUnknown(deps, em, message, out);
        if (resolved === 'found') return { status: 'sent' };
        if (resolved === 'gave_up') throw ApplicationFailure.nonRetryable('sent twice without an answer', 'outcome_unknown');
        possibleDuplicate = resolved === 'resend_email';
      }
      // A1 and X1 are checked again at send time: the switch or an opt-out may have changed since,
      // and a STOP reaches the sender the patient wrote to (replies per sender, X1).
      const sender = deps.channels[message.channel].senderFor?.(out) ?? null;
      const senderOptOut = sender !== null && (await isSenderOptedOut(em, sender, out.to));
      const blocked = !context.center.communicationsEnabled
        ? 'master_off'
        : context.erased
          ? 'erased' // X7: nothing goes to a patient after erasure
          : context.optedOut || senderOptOut
            ? 'opted_out'
            : null;
      if (blocked) {
        if (await store.skip(em, message, blocked, [message.status])) observerOf(deps).reached(message, 'skipped', blocked);
        return { status: 'already_sent' };
      }
      const from = message.status;
      const call = async (slot?: () => Promise<() => void>): Promise<boolean> => {
        if (!(await store.claim(em, messageId, attempt.token, { from: [from], leaseMs: SEND_LEASE_MS, possibleDuplicate, sender }))) return false;
        claimed = true;
        // Claimed first, then the sender's slot and gate: only the HTTP request is left between
        // them and the provider (A3, X9); the gate counts the call until the provider answered.
        const answered = await slot?.();
        await callProvider(deps, em, message, out, attempt.token, answered);
        return true;
      };
      const paced = message.channel !== 'email' && deps.phonePacer;
      const order = attempt.order ?? Number.MAX_SAFE_INTEGER;
      if (await (paced ? paced.run(`${message.channel}:${sender ?? '-'}`, order, call) : call())) return { status: 'sent' };
      // Someone else moved the row between our read and the claim: look again.
    }
  } finally {
    clearInterval(ticker);
  }
}

/** What to do with a message whose last send may have happened. */
async function resolveUnknown(deps: ActivityDeps, em: EntityManager, message: Message, out: OutgoingMessage): Promise<'found' | 'resend' | 'resend_email' | 'gave_up'> {
  // Taken over from an attempt that may still be inside its provider call (stalled, not dead):
  // that call ends before its last lease does (the provider timeout is shorter than the lease,
  // and the lease was renewed after the call began), so wait for it before looking or resending.
  // A dead worker's lease has run out by the time its next attempt starts: no wait then.
  const inCall = (message.leaseUntil?.getTime() ?? 0) - Date.now();
  if (inCall > 0) await sleep(Math.min(inCall, SEND_LEASE_MS));
  const channel = deps.channels[message.channel];
  if (channel.find) {
    // Twilio may have made it: look it up (sent since the row was made; ids no other row has).
    const since = new Date(Math.min(message.createdAt.getTime(), message.dueAt.getTime()) - 60_000);
    const candidates = await findOrRetry(() => channel.find!(out, since));
    const inUse = await store.providerIdsInUse(em, candidates.map((c) => c.providerId));
    const found = candidates.find((c) => !inUse.has(c.providerId));
    if (!found) return 'resend';
    if (await store.markFound(em, message.id, found.providerId, found.providerStatus)) observerOf(deps).reached(message, 'sent');
    return 'found';
  }
  // Email: SMTP cannot be asked. One resend with the same Message-ID, marked; never a third.
  if (message.possibleDuplicate) {
    if (await store.fail(em, message, 'outcome_unknown', false)) observerOf(deps).reached(message, 'failed', 'outcome_unknown');
    return 'gave_up';
  }
  return 'resend_email';
}

async function findOrRetry<T>(lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    // Until the provider answers, the message stays `unknown`: never sent blind.
    throw ApplicationFailure.retryable(`could not look the message up at the provider: ${text}`, 'lookup_failed');
  }
}

/**
 * An email claimed on the fast path (store.claimIfClear, store.claimDueEmails) goes out under
 * `token`: the workflow's send and the dispatcher share this and everything after it.
 */
export function sendClaimed(deps: ActivityDeps, em: EntityManager, claimed: store.ClearClaim, token: ClaimToken): Promise<void> {
  return callProvider(deps, em, claimed.message, outgoing(deps, claimed.center, claimed.message), token);
}

/**
 * The provider call under a held claim, and what its outcome does to the row. `answered` is
 * told the moment the provider's call is over, before the row is written (the pace's gate).
 */
async function callProvider(deps: ActivityDeps, em: EntityManager, message: Message, out: OutgoingMessage, token: ClaimToken, answered?: () => void): Promise<void> {
  let providerId: string;
  try {
    try {
      providerId = (await deps.channels[message.channel].send(out)).providerId;
    } finally {
      answered?.();
    }
  } catch (err) {
    const error = err instanceof ChannelError ? err : new ChannelError(err instanceof Error ? err.message : String(err), true, null, 'unknown');
    const detail = `${error.code ?? 'error'}: ${error.message}`.slice(0, 500);
    observerOf(deps).providerError(message, error.code, error.outcome === 'not_sent' ? 'not_sent' : 'unknown');
    if (error.outcome === 'not_sent') {
      await store.release(em, message.id, token, detail);
      if (error.retryable) throw ApplicationFailure.retryable(error.message, error.code ?? 'provider_retryable');
      throw ApplicationFailure.nonRetryable(error.message, error.code ?? 'provider_permanent');
    }
    if (await store.markUnknown(em, message.id, token, detail)) observerOf(deps).reached(message, 'unknown');
    throw ApplicationFailure.retryable(error.message, 'outcome_unknown');
  }
  observerOf(deps).accepted(message, Date.now() - message.dueAt.getTime());
  if (await recordSent(em, message, token, providerId)) observerOf(deps).reached(message, 'sent');
}

/**
 * It went out: record it, insisting (the database may be restarting). Should it stay unrecorded,
 * the next attempt finds the claim stale and resolves it like any unknown outcome.
 */
async function recordSent(em: EntityManager, message: Message, token: ClaimToken, providerId: string): Promise<boolean> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await store.markSent(em, message, token, providerId);
    } catch (err) {
      if (tries >= 8) throw err;
      await sleep(Math.min(250 * 2 ** tries, 4_000));
    }
  }
}
