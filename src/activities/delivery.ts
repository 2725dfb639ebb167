import { ApplicationFailure } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ChannelError, type OutgoingMessage } from '../channels/types.js';
import type { MessageStatus, SkipReason } from '../domain/events.js';
import { debitForMessage, refundForMessage } from '../db/credits.js';
import { Center, Message, MessageEvent } from '../db/entities/index.js';
import { optOutHash } from '../db/opt-out-hash.js';
import type { ActivityDeps } from './deps.js';
import { notifyCenter } from './notices.js';
import type { DebitResult, SendOutcome } from './types.js';
import { loadEventSetting } from '../db/event-settings.js';
import { renderText } from './prepare.js';
import { loadSubject } from './render.js';

const SENT = new Set(['sent', 'delivered', 'read']);
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

async function logEvent(em: EntityManager, messageId: string, status: MessageEvent['status'], detail: string | null = null) {
  em.create(MessageEvent, { messageId, status, detail });
  await em.flush();
}

/** F1: one debit per message (unique ledger row); too few credits → skipped + B6 warning once a day. */
export function createDebitCredits(deps: ActivityDeps) {
  return async function debitCredits({ messageId }: { messageId: string }): Promise<DebitResult> {
    const em = deps.orm.em.fork();
    const message = await em.findOneOrFail(Message, { id: messageId });
    if (message.status !== 'scheduled' && message.status !== 'sending') return { ok: message.status !== 'skipped', reason: message.skipReason };
    const result = await debitForMessage(em, { centerId: message.centerId, messageId, amount: message.credits });
    const center = await em.findOneOrFail(Center, { id: message.centerId }, { refresh: true });
    const today = dayKey(new Date());
    if (!result.ok) {
      await em.nativeUpdate(Message, { id: messageId, status: 'scheduled' }, { status: 'skipped', skipReason: 'no_credits' });
      await logEvent(em, messageId, 'skipped', 'no_credits');
      await notifyCenter(deps, em, { centerId: center.id, kind: 'credits_exhausted', slot: today });
      return { ok: false, reason: 'no_credits' };
    }
    if (result.balance <= center.lowCreditThreshold) {
      await notifyCenter(deps, em, { centerId: center.id, kind: 'credits_low', slot: today, detail: String(result.balance) });
    }
    return { ok: true, reason: null };
  };
}

/** The provider call. `sending` before, `sent` + provider id after; a retry that finds `sent` does nothing. */
export function createSendMessage(deps: ActivityDeps) {
  return async function sendMessage({ messageId, order }: { messageId: string; order?: number }): Promise<SendOutcome> {
    const em = deps.orm.em.fork();
    const message = await em.findOneOrFail(Message, { id: messageId });
    if (SENT.has(message.status)) return { status: 'already_sent' };
    if (message.status === 'skipped' || message.status === 'failed') {
      throw ApplicationFailure.nonRetryable(`message is ${message.status}`, 'not_sendable');
    }
    const { center, optedOut, erased } = await sendingContext(em, message);
    // A1, X7 (erasure) and X1 are checked again at send time: the switch or an opt-out may have changed since.
    const blocked = !center.communicationsEnabled ? 'master_off' : erased ? 'erased' : optedOut ? 'opted_out' : null;
    if (blocked) {
      await skipWithRefund(em, message, blocked, ['scheduled', 'sending']);
      return { status: 'already_sent' };
    }
    if (!(await claimForSending(em, messageId))) {
      const now = await em.findOneOrFail(Message, { id: messageId }, { refresh: true });
      if (SENT.has(now.status)) return { status: 'already_sent' };
      // Another attempt holds the lease (e.g. a retry after a timeout while the first still runs).
      throw ApplicationFailure.retryable('another attempt is sending this message', 'send_in_progress');
    }
    const text = message.secretRef ? await withSecret(deps, em, message) : null;
    try {
      const call = () => deps.channels[message.channel].send({ ...outgoing(deps, center, message), ...text });
      // The pace wraps the provider call itself, so the limit holds at the provider (A3).
      const paced = message.channel !== 'email' && deps.phonePacer;
      const result = paced ? await paced.run(order ?? Number.MAX_SAFE_INTEGER, call) : await call();
      await markSent(em, message, result.providerId);
      return { status: 'sent' };
    } catch (err) {
      if (!(err instanceof ChannelError)) throw err;
      await logEvent(em, messageId, 'retry', `${err.code ?? 'error'}: ${err.message}`);
      if (err.retryable) throw ApplicationFailure.retryable(err.message, err.code ?? 'provider_retryable');
      throw ApplicationFailure.nonRetryable(err.message, err.code ?? 'provider_permanent');
    }
  };
}

/** A permanent failure: the row says why, the credits come back (F1), admins hear of patterns (B6). */
export function createFailMessage(deps: ActivityDeps) {
  return async function failMessage({ messageId, reason }: { messageId: string; reason: string }): Promise<void> {
    const em = deps.orm.em.fork();
    const message = await em.findOneOrFail(Message, { id: messageId });
    if (message.status === 'failed' || SENT.has(message.status)) return;
    // Refund first: a retry after a crash here refunds once (unique ledger row) and then marks.
    await refundForMessage(em, { centerId: message.centerId, messageId });
    await em.nativeUpdate(Message, { id: messageId }, { status: 'failed', failureReason: reason.slice(0, 500), failedAt: new Date() });
    await logEvent(em, messageId, 'failed', reason.slice(0, 500));
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
 * message already on its way is never taken back; each one's credits come back (F1).
 */
export function createReleaseMessages(deps: ActivityDeps) {
  return async function releaseMessages({ messageIds, reason }: { messageIds: string[]; reason: SkipReason }): Promise<void> {
    const em = deps.orm.em.fork();
    for (const message of await em.find(Message, { id: { $in: messageIds } })) await skipWithRefund(em, message, reason, ['scheduled']);
  };
}

/**
 * A message that will not go out: `skipped` with its reason, its credits back (F1) and the event
 * logged, in one transaction, and only if the row is still in one of `from` (never a message
 * already on its way or sent).
 */
async function skipWithRefund(em: EntityManager, message: Pick<Message, 'id' | 'centerId'>, reason: SkipReason, from: MessageStatus[]): Promise<void> {
  await em.transactional(async (tx) => {
    const skipped = await tx.nativeUpdate(Message, { id: message.id, status: { $in: from } }, { status: 'skipped', skipReason: reason });
    if (skipped === 0) return;
    await refundForMessage(tx, { centerId: message.centerId, messageId: message.id });
    await logEvent(tx, message.id, 'skipped', reason);
  });
}

/** Matches the send activity's start-to-close timeout: a `sending` row older than this is orphaned. */
const SEND_LEASE = '2 minutes';

/**
 * Takes the message for one provider call: `scheduled` → `sending`, or a `sending` row whose
 * lease ran out (its worker died mid-send: at-least-once, rather than a reminder lost). The
 * claim and its `sending` event are one statement: the hot path of a burst counts round trips.
 */
async function claimForSending(em: EntityManager, messageId: string): Promise<boolean> {
  const now = new Date(); // millisecond timestamps, like the ORM's own rows (list cursors stay exact)
  const claimed = await em.getConnection().execute<{ id: string }[]>(
    `with claimed as (
       update messages set status = 'sending', updated_at = ?
        where id = ? and (status = 'scheduled' or (status = 'sending' and updated_at < now() - interval '${SEND_LEASE}'))
        returning id)
     insert into message_events (id, created_at, updated_at, message_id, status, detail)
       select gen_random_uuid(), ?, ?, id, 'sending', null from claimed
     returning message_id as id`,
    [now, messageId, now, now],
  );
  return claimed.length === 1;
}

/**
 * `sending` → `sent` with the provider id, its event, and (B7) the stashed secret deleted: one
 * statement, so whoever sees `sent` no longer finds the secret. A status callback can overtake
 * this update; it already moved the row and logged its event, so then nothing is logged twice.
 */
async function markSent(em: EntityManager, message: Message, providerId: string | null): Promise<void> {
  const now = new Date();
  await em.getConnection().execute(
    `with sent as (
       update messages set status = 'sent', provider_id = ?, sent_at = ?, updated_at = ?
        where id = ? and status = 'sending'
        returning id),
     secret as (delete from message_secrets where id = ?)
     insert into message_events (id, created_at, updated_at, message_id, status, detail)
       select gen_random_uuid(), ?, ?, id, 'sent', null from sent`,
    [providerId, now, now, message.id, message.secretRef, now, now],
  );
}

/**
 * The center's senders and switch, whether the recipient opted out of this channel (X1; also as
 * an erased patient's hashed opt-out) and whether the patient was erased (X7): one query.
 */
async function sendingContext(em: EntityManager, message: Message): Promise<{ center: SenderSettings; optedOut: boolean; erased: boolean }> {
  const patientId = message.recipientKind === 'patient' ? message.recipientId : null;
  const hashed = message.recipientAddress ? optOutHash(message.centerId, message.recipientAddress) : null;
  const [row] = await em.getConnection().execute<Array<Record<string, string | boolean | null>>>(
    `select c.communications_enabled, c.email_from_name, c.email_from_address, c.email_reply_to, c.sms_sender_id,
            c.voice_caller_number, c.read_tracking,
            exists (select 1 from opt_outs o where o.center_id = c.id and o.channel = ? and o.address in (?, ?))
              or exists (select 1 from patients p where p.id = ? and p.center_id = c.id and ? = any(p.opted_out_channels)) as opted_out,
            exists (select 1 from patients p where p.id = ? and p.center_id = c.id and p.erased_at is not null) as erased
       from centers c where c.id = ?`,
    [message.channel, message.recipientAddress, hashed, patientId, message.channel, patientId, message.centerId],
  );
  if (!row) throw ApplicationFailure.nonRetryable('the message\'s center no longer exists', 'center_missing');
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    center: {
      communicationsEnabled: row.communications_enabled === true,
      emailFromName: text(row.email_from_name),
      emailFromAddress: text(row.email_from_address),
      emailReplyTo: text(row.email_reply_to),
      smsSenderId: text(row.sms_sender_id),
      voiceCallerNumber: text(row.voice_caller_number),
      readTracking: row.read_tracking === true,
    },
    optedOut: row.opted_out === true,
    erased: row.erased === true,
  };
}

type SenderSettings = Pick<
  Center,
  'communicationsEnabled' | 'emailFromName' | 'emailFromAddress' | 'emailReplyTo' | 'smsSenderId' | 'voiceCallerNumber' | 'readTracking'
>;

function outgoing(deps: ActivityDeps, center: SenderSettings, message: Message): OutgoingMessage {
  const isEmail = message.channel === 'email';
  const unsubscribable = message.eventKind === 'appointment.post_visit' || message.eventKind === 'recall';
  return {
    messageId: message.id,
    centerId: message.centerId,
    channel: message.channel,
    to: message.recipientAddress ?? '',
    subject: message.subject,
    text: message.body ?? '',
    locale: message.locale,
    senders: {
      emailFromName: center.emailFromName,
      emailFromAddress: center.emailFromAddress,
      emailReplyTo: center.emailReplyTo,
      smsSenderId: center.smsSenderId,
      voiceCallerNumber: center.voiceCallerNumber,
    },
    unsubscribeUrl: isEmail && unsubscribable ? deps.links.unsubscribeUrl(message.id) : null,
    trackingPixelUrl: isEmail && center.readTracking ? deps.links.trackingPixelUrl(message.id) : null,
    actionLinks: isEmail && message.asksConfirmation ? { confirmUrl: deps.links.confirmUrl(message.id), cancelUrl: deps.links.cancelUrl(message.id) } : null,
    gatherUrl: message.channel === 'voice' && message.asksConfirmation ? deps.links.gatherUrl(message.id) : null,
    statusCallbackUrl: isEmail ? null : deps.links.statusCallbackUrl(message.id),
  };
}

/** B7: the text as sent, with the stashed secret; the stored copy stays redacted. */
async function withSecret(deps: ActivityDeps, em: EntityManager, message: Message): Promise<{ subject: string | null; text: string }> {
  const secret = await deps.secrets.peek(em, message.centerId, message.secretRef!);
  if (!secret) throw ApplicationFailure.nonRetryable('the password or set-up link expired before it could be sent', 'secret_expired');
  const recipient = message.recipientKind === 'resource' ? { resourceId: message.recipientId ?? undefined } : { patientId: message.recipientId ?? undefined };
  const subject = await loadSubject(em, message.centerId, message.appointmentId, recipient);
  const setting = await loadEventSetting(em, message.centerId, message.eventKind);
  const rendered = await renderText(em, deps, {
    messageId: message.id,
    eventKind: message.eventKind,
    channel: message.channel,
    locale: message.locale,
    subject,
    options: setting.options,
    delayMinutes: null,
    secret,
  });
  return { subject: rendered.subject, text: rendered.body };
}
