import type { EntityManager } from '@mikro-orm/postgresql';
import { Hono } from 'hono';
import twilio from 'twilio';
import type { Locale } from '../../domain/events.js';
import { parseSmsReply } from '../../domain/reply-words.js';
import { centersBehindNumber, findOpenQuestions, logUnansweredReply, replyLocaleOf, setSenderOptOut, type OpenQuestion } from '../../db/sms-replies.js';
import type { ResolvedWebhookDeps } from './deps.js';
import { enqueueCommands } from '../../db/outbox.js';
import { recordOptIn, recordOptOut } from './opt-outs.js';
import { asLocale, shortWhen, SMS_REPLIES } from './texts.js';
import { field, forbidden, readSignedTwilioForm, twimlResponse } from './twilio-request.js';

/**
 * SMS replies (X1, B2-confirm), scoped by the number the patient wrote to (`To`): it names the
 * sender, and so the centers. STOP and its equivalents opt the number out of SMS from that
 * sender, and out of SMS of every center behind it (whose own number it is, or that texted the
 * patient from it), even when no center knows the number yet; START undoes exactly that. A
 * confirm / cancel word answers the SMS sent from that number that asked for confirmation, for
 * an appointment still ahead; when several appointments could be meant, nothing is done, the
 * patient gets each one's link, and the reply is logged on each message (E1). Twilio may post
 * the same reply twice: the opt-out rows are unique, the callback rows are keyed by the
 * MessageSid, the workflow dedupes answers by it, and the log line carries it.
 */

const MESSAGE_SID = /^[A-Z]{2}[0-9a-f]{32}$/;

/** The language to answer in, among the centers behind the number. */
async function replyLocale(em: EntityManager, from: string, centerIds: string[]): Promise<Locale> {
  return asLocale(await replyLocaleOf(em, { from, centerIds })) ?? 'it';
}

function smsReply(text: string | null): string {
  const response = new twilio.twiml.MessagingResponse();
  if (text) response.message(text);
  return response.toString();
}

export function inboundSmsRoutes(deps: ResolvedWebhookDeps): Hono {
  const app = new Hono();

  async function changeOptOut(kind: 'stop' | 'start', from: string, to: string, messageSid: string): Promise<string[]> {
    const em = deps.orm.em.fork();
    const at = deps.now();
    return em.transactional(async (tx) => {
      await setSenderOptOut(tx, { sender: to, address: from, optedOut: kind === 'stop', source: 'sms_reply', at });
      const behind = await centersBehindNumber(tx, { from, to });
      for (const [centerId, patientIds] of behind) {
        const change = { centerId, channel: 'sms' as const, address: from, patientIds, source: 'sms_reply', eventId: `sms-${kind}:${messageSid}`, at };
        if (kind === 'stop') await recordOptOut(tx, change);
        else await recordOptIn(tx, change);
      }
      return [...behind.keys()];
    });
  }

  /** Several appointments could be meant: act on none, log it on each, send each one's link. */
  async function ambiguous(em: EntityManager, open: OpenQuestion[], meaning: 'confirm' | 'cancel', messageSid: string): Promise<string> {
    const detail = `${meaning} by SMS (${messageSid}) not applied: ${open.length} appointments await an answer from this number`;
    await logUnansweredReply(em, open.map((q) => q.messageId), detail, deps.now());
    const locale = asLocale(open[0]?.locale) ?? 'it';
    const lines = open.map((q) => `${shortWhen(q.startAt, q.timeZone, locale)} ${meaning === 'confirm' ? deps.links.confirmUrl(q.messageId) : deps.links.cancelUrl(q.messageId)}`);
    return [SMS_REPLIES[locale].ambiguous, ...lines].join('\n');
  }

  app.post('/twilio/inbound', async (c) => {
    const params = await readSignedTwilioForm(c, { publicBaseUrl: deps.publicBaseUrl, authToken: deps.twilioAuthToken });
    if (!params) return forbidden(c);
    const from = field(params, 'From');
    const to = field(params, 'To');
    const messageSid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
    if (!from) return c.text('From: required.', 400);
    if (!to || to.length > 20) return c.text('To: required, the number the patient wrote to.', 400);
    if (!messageSid || !MESSAGE_SID.test(messageSid)) return c.text('MessageSid: required, a Twilio message SID.', 400);
    const meaning = parseSmsReply(params.Body ?? '');
    const em = deps.orm.em.fork();

    if (meaning === 'stop' || meaning === 'start') {
      const centerIds = await changeOptOut(meaning, from, to, messageSid);
      const texts = SMS_REPLIES[await replyLocale(em, from, centerIds)];
      return twimlResponse(c, smsReply(meaning === 'stop' ? texts.stopped : texts.started));
    }
    if (meaning === 'confirm' || meaning === 'cancel') {
      const open = await findOpenQuestions(em, { from, to, now: deps.now() });
      if (open.length > 1) return twimlResponse(c, smsReply(await ambiguous(em, open, meaning, messageSid)));
      const [only] = open;
      if (only) {
        await em.transactional((tx) =>
          enqueueCommands(tx, [{ type: 'patientAnswered', centerId: only.centerId, appointmentId: only.appointmentId, answer: meaning, via: 'sms', eventId: messageSid }]),
        );
        const texts = SMS_REPLIES[asLocale(only.locale) ?? 'it'];
        return twimlResponse(c, smsReply(meaning === 'confirm' ? texts.confirmed : texts.cancelled));
      }
    }
    const texts = SMS_REPLIES[await replyLocale(em, from, [...(await centersBehindNumber(em, { from, to })).keys()])];
    return twimlResponse(c, smsReply(meaning ? texts.nothingPending : texts.help));
  });

  return app;
}
