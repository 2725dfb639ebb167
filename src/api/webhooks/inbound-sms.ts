import type { EntityManager } from '@mikro-orm/postgresql';
import { Hono } from 'hono';
import twilio from 'twilio';
import type { Locale } from '../../domain/events.js';
import { parseSmsReply } from '../../domain/reply-words.js';
import type { ResolvedWebhookDeps } from './deps.js';
import { enqueueCommands } from '../../db/outbox.js';
import { recordOptIn, recordOptOut } from './opt-outs.js';
import { asLocale, SMS_REPLIES } from './texts.js';
import { field, forbidden, readSignedTwilioForm, twimlResponse } from './twilio-request.js';

/**
 * SMS replies (X1, B2-confirm). STOP and its equivalents opt the number out of SMS for every
 * center that knows it (a patient's mobile, or a number it sent to), START opts it back in;
 * a confirm / cancel word answers the latest SMS to that number that asked for confirmation and
 * whose appointment is still ahead. Twilio may post the same reply twice: the opt-out rows are
 * unique, the callback rows are keyed by the MessageSid, and the workflow dedupes answers by it.
 */

const MESSAGE_SID = /^[A-Z]{2}[0-9a-f]{32}$/;

interface PendingQuestion {
  centerId: string;
  appointmentId: string;
  locale: Locale;
}

/** The latest SMS to this number asking for confirmation, for an appointment not started nor cancelled. */
export async function findPendingQuestion(em: EntityManager, phone: string, now: Date): Promise<PendingQuestion | null> {
  const [row] = await em.execute<{ center_id: string; appointment_id: string; locale: string }[]>(
    `select m.center_id, m.appointment_id, m.locale
       from messages m
       join appointments a on a.id = m.appointment_id and a.center_id = m.center_id
      where m.recipient_address = ? and m.channel = 'sms' and m.asks_confirmation
        and m.status in ('sending', 'sent', 'delivered', 'read')
        and a.start_at > ? and a.status <> 'cancelled'
      order by coalesce(m.sent_at, m.created_at) desc
      limit 1`,
    [phone, now],
  );
  return row ? { centerId: row.center_id, appointmentId: row.appointment_id, locale: asLocale(row.locale) ?? 'it' } : null;
}

/** Whom an answer to this number should speak to: the patient's language, else the last message's. */
async function replyLocale(em: EntityManager, phone: string): Promise<Locale> {
  const [row] = await em.execute<{ locale: string | null }[]>(
    `select locale from (
        (select locale, 1 as rank, updated_at as at from patients where mobile = ? and locale is not null order by updated_at desc limit 1)
        union all
        (select locale, 2 as rank, created_at as at from messages where recipient_address = ? order by created_at desc limit 1)
     ) found order by rank limit 1`,
    [phone, phone],
  );
  return asLocale(row?.locale) ?? 'it';
}

/** Every center that knows this number, with its patients who have it as their mobile. */
async function centersOfNumber(em: EntityManager, phone: string): Promise<Map<string, string[]>> {
  const rows = await em.execute<{ center_id: string; patient_id: string | null }[]>(
    `select center_id, id as patient_id from patients where mobile = ?
     union
     select distinct center_id, null::uuid as patient_id from messages where recipient_address = ?`,
    [phone, phone],
  );
  const centers = new Map<string, string[]>();
  for (const row of rows) {
    const patients = centers.get(row.center_id) ?? [];
    if (row.patient_id) patients.push(row.patient_id);
    centers.set(row.center_id, patients);
  }
  return centers;
}

function smsReply(text: string | null): string {
  const response = new twilio.twiml.MessagingResponse();
  if (text) response.message(text);
  return response.toString();
}

export function inboundSmsRoutes(deps: ResolvedWebhookDeps): Hono {
  const app = new Hono();

  async function changeOptOut(kind: 'stop' | 'start', phone: string, messageSid: string): Promise<void> {
    const em = deps.orm.em.fork();
    const at = deps.now();
    await em.transactional(async (tx) => {
      for (const [centerId, patientIds] of await centersOfNumber(tx, phone)) {
        const change = { centerId, channel: 'sms' as const, address: phone, patientIds, source: 'sms_reply', eventId: `sms-${kind}:${messageSid}`, at };
        if (kind === 'stop') await recordOptOut(tx, change);
        else await recordOptIn(tx, change);
      }
    });
  }

  app.post('/twilio/inbound', async (c) => {
    const params = await readSignedTwilioForm(c, { publicBaseUrl: deps.publicBaseUrl, authToken: deps.twilioAuthToken });
    if (!params) return forbidden(c);
    const from = field(params, 'From');
    const messageSid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
    if (!from) return c.text('From: required.', 400);
    if (!messageSid || !MESSAGE_SID.test(messageSid)) return c.text('MessageSid: required, a Twilio message SID.', 400);
    const meaning = parseSmsReply(params.Body ?? '');
    const em = deps.orm.em.fork();

    if (meaning === 'stop' || meaning === 'start') {
      await changeOptOut(meaning, from, messageSid);
      const texts = SMS_REPLIES[await replyLocale(em, from)];
      return twimlResponse(c, smsReply(meaning === 'stop' ? texts.stopped : texts.started));
    }
    if (meaning === 'confirm' || meaning === 'cancel') {
      const pending = await findPendingQuestion(em, from, deps.now());
      if (!pending) return twimlResponse(c, smsReply(SMS_REPLIES[await replyLocale(em, from)].nothingPending));
      await em.transactional((tx) =>
        enqueueCommands(tx, [{ type: 'patientAnswered', centerId: pending.centerId, appointmentId: pending.appointmentId, answer: meaning, via: 'sms', eventId: messageSid }]),
      );
      const texts = SMS_REPLIES[pending.locale];
      return twimlResponse(c, smsReply(meaning === 'confirm' ? texts.confirmed : texts.cancelled));
    }
    return twimlResponse(c, smsReply(SMS_REPLIES[await replyLocale(em, from)].help));
  });

  return app;
}
