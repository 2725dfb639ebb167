import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { refundForMessage } from '../db/credits.js';
import { Center, Message, MessageEvent } from '../db/entities/index.js';
import type { DeliveryUpdate } from '../domain/delivery-status.js';
import { noObserver, type MessageObserver } from './observer.js';
import { advanceStatus } from './transitions.js';

/**
 * What the outside world reports about a message after it left: provider delivery reports and
 * email opens. Each applies under a row lock and only forward (transitions.ts): duplicates and
 * late, out-of-order reports change nothing.
 */

export interface DeliveryReport {
  update: DeliveryUpdate;
  /** Twilio's own word, e.g. `undelivered`, `no-answer` (already known to the mapping). */
  providerStatus: string;
  /** Numeric Twilio ErrorCode only: nothing free-form is stored. */
  errorCode: string | null;
  providerSid: string | null;
}

/** Applies one provider report; true when the message changed (then `observer` hears of it, after the commit). */
export async function applyDeliveryReport(em: EntityManager, messageId: string, report: DeliveryReport, now: Date, observer: MessageObserver = noObserver): Promise<boolean> {
  const changed = await em.transactional(async (tx) => {
    const message = await tx.findOne(Message, { id: messageId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!message) return null;
    const next = advanceStatus(message.status, report.update);
    if (!next) return null;
    message.status = next;
    // The report can overtake the send's own bookkeeping (or arrive for an `unknown` send: it
    // proves the provider has it): keep what the send would have set.
    if (next !== 'failed') message.sentAt ??= now;
    if (report.providerSid) message.providerId ??= report.providerSid;
    message.leaseUntil = null;
    if (next === 'delivered') message.deliveredAt = now;
    if (next === 'read') message.readAt ??= now;
    if (next === 'failed') {
      message.failedAt = now;
      message.failureReason = report.errorCode ?? report.providerStatus;
    }
    const detail = `twilio: ${report.providerStatus}${report.errorCode ? ` (${report.errorCode})` : ''}`;
    tx.create(MessageEvent, { messageId: message.id, status: next, detail });
    // F1: a message the carrier could not deliver is refunded, as one that failed to send.
    if (next === 'failed') await refundForMessage(tx, { centerId: message.centerId, messageId: message.id });
    return message;
  });
  if (changed) observer.reached(changed, changed.status, changed.failureReason);
  return changed !== null;
}

export const OPEN_NOTE = 'opens are not reliable proof of reading';

/**
 * A4-read: one open of an email. Every open counts; the first sets `readAt` and is the one
 * `opened` event of its history (a mail app or a proxy may load the image hundreds of times: a
 * count, not a row per hit). The status moves to `read` only forward. False when nothing was
 * recorded (unknown message, tracking off).
 */
export async function recordOpen(em: EntityManager, messageId: string, now: Date): Promise<boolean> {
  return em.transactional(async (tx) => {
    const message = await tx.findOne(Message, { id: messageId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!message || message.channel !== 'email') return false;
    // A center that turned read tracking off after sending no longer wants opens recorded.
    const center = await tx.findOne(Center, { id: message.centerId }, { fields: ['readTracking'] });
    if (!center?.readTracking) return false;
    message.openCount += 1;
    const next = advanceStatus(message.status, 'read');
    if (next) message.status = next;
    if (message.readAt === null) tx.create(MessageEvent, { messageId: message.id, status: 'opened', detail: OPEN_NOTE });
    message.readAt ??= now;
    return true;
  });
}
