import { Hono } from 'hono';
import type { TwilioParams } from '../../channels/twilio-signature.js';
import { mapTwilioCallStatus, mapTwilioMessageStatus } from '../../domain/delivery-status.js';
import { applyDeliveryReport, type DeliveryReport } from '../../messages/reports.js';
import type { ResolvedWebhookDeps } from './deps.js';
import { field, forbidden, isUuid, readSignedTwilioForm } from './twilio-request.js';

/**
 * E1: Twilio delivery reports for SMS (MessageStatus) and calls (CallStatus). The message only
 * moves forward (src/messages/transitions.ts): duplicates and late, out-of-order reports change
 * nothing. An unknown message id answers like a known one, so ids cannot be probed.
 */

const PROVIDER_SID = /^(SM|MM|CA)[0-9a-f]{32}$/;
const ERROR_CODE = /^\d{1,6}$/;

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

export function statusCallbackRoutes(deps: ResolvedWebhookDeps): Hono {
  const app = new Hono();
  app.post('/twilio/status/:messageId', async (c) => {
    const params = await readSignedTwilioForm(c, { publicBaseUrl: deps.publicBaseUrl, authToken: deps.twilioAuthToken });
    if (!params) return forbidden(c);
    const messageId = c.req.param('messageId');
    const report = readDeliveryReport(params);
    if (report && isUuid(messageId)) await applyDeliveryReport(deps.orm.em.fork(), messageId, report, deps.now(), deps.observer);
    return c.body(null, 204);
  });
  return app;
}
