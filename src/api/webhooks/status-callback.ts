import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Hono } from 'hono';
import type { TwilioParams } from '../../channels/twilio-signature.js';
import { Message, MessageEvent } from '../../db/entities/index.js';
import { refundForMessage } from '../../db/credits.js';
import { advanceStatus, mapTwilioCallStatus, mapTwilioMessageStatus, type DeliveryUpdate } from '../../domain/delivery-status.js';
import type { ResolvedWebhookDeps } from './deps.js';
import { field, forbidden, isUuid, readSignedTwilioForm } from './twilio-request.js';

/**
 * E1: Twilio delivery reports for SMS (MessageStatus) and calls (CallStatus). The message only
 * moves forward (domain/delivery-status.ts): duplicates and late, out-of-order reports change
 * nothing. An unknown message id answers like a known one, so ids cannot be probed.
 */

const PROVIDER_SID = /^(SM|MM|CA)[0-9a-f]{32}$/;
const ERROR_CODE = /^\d{1,6}$/;

export interface DeliveryReport {
  update: DeliveryUpdate;
  /** Twilio's own word, e.g. `undelivered`, `no-answer` (already known to the mapping). */
  providerStatus: string;
  /** Numeric Twilio ErrorCode only: nothing free-form is stored. */
  errorCode: string | null;
  providerSid: string | null;
}

/** What a callback reports, or null when it reports nothing we track (queued, ringing, …). */
export function readDeliveryReport(params: TwilioParams): DeliveryReport | null {
  const callStatus = field(params, 'CallStatus');
  const messageStatus = field(params, 'MessageStatus') ?? field(params, 'SmsStatus');
  const providerStatus = (callStatus ?? messageStatus ?? '').toLowerCase();
  const update = callStatus !== null ? mapTwilioCallStatus(providerStatus) : mapTwilioMessageStatus(providerStatus);
  if (!update) return null;
  const errorCode = field(params, 'ErrorCode');
  const sid = field(params, callStatus !== null ? 'CallSid' : 'MessageSid') ?? field(params, 'SmsSid');
  return {
    update,
    providerStatus,
    errorCode: errorCode && ERROR_CODE.test(errorCode) ? errorCode : null,
    providerSid: sid && PROVIDER_SID.test(sid) ? sid : null,
  };
}

/** Applies one report under a row lock; true when the message changed. */
export async function applyDeliveryReport(em: EntityManager, messageId: string, report: DeliveryReport, now: Date): Promise<boolean> {
  return em.transactional(async (tx) => {
    const message = await tx.findOne(Message, { id: messageId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!message) return false;
    const next = advanceStatus(message.status, report.update);
    if (!next) return false;
    message.status = next;
    // The report can overtake the send activity's own bookkeeping: keep what it would have set.
    if (next !== 'failed') message.sentAt ??= now;
    if (report.providerSid) message.providerId ??= report.providerSid;
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
    return true;
  });
}

export function statusCallbackRoutes(deps: ResolvedWebhookDeps): Hono {
  const app = new Hono();
  app.post('/twilio/status/:messageId', async (c) => {
    const params = await readSignedTwilioForm(c, { publicBaseUrl: deps.publicBaseUrl, authToken: deps.twilioAuthToken });
    if (!params) return forbidden(c);
    const messageId = c.req.param('messageId');
    const report = readDeliveryReport(params);
    if (report && isUuid(messageId)) await applyDeliveryReport(deps.orm.em.fork(), messageId, report, deps.now());
    return c.body(null, 204);
  });
  return app;
}
