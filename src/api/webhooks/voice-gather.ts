import { enqueueCommands } from '../../db/outbox.js';
import { Hono } from 'hono';
import twilio from 'twilio';
import { SPOKEN_VOICES } from '../../channels/voice.js';
import { Appointment, Message } from '../../db/entities/index.js';
import type { Locale } from '../../domain/events.js';
import type { PatientAnswer } from '../../engine/port.js';
import type { ResolvedWebhookDeps } from './deps.js';
import { localeOf, VOICE_REPLIES } from './texts.js';
import { field, forbidden, isUuid, readSignedTwilioForm, twimlResponse } from './twilio-request.js';

/**
 * B2-confirm by voice: the digit pressed in the call's <Gather>, 1 confirms and 2 cancels. The
 * answer is spoken back in the message's language with the voice the call used. Another digit
 * asks once more, then says goodbye. Twilio may post twice: the event id (CallSid + Digits)
 * lets the workflow ignore the repeat.
 */

const DIGIT_ANSWERS: Record<string, PatientAnswer> = { '1': 'confirm', '2': 'cancel' };

function say(locale: Locale, ...lines: string[]): string {
  const response = new twilio.twiml.VoiceResponse();
  for (const line of lines) response.say(SPOKEN_VOICES[locale], line);
  return response.toString();
}

function askAgain(locale: Locale, actionUrl: string): string {
  const texts = VOICE_REPLIES[locale];
  const response = new twilio.twiml.VoiceResponse();
  response.say(SPOKEN_VOICES[locale], texts.notUnderstood);
  const gather = response.gather({ numDigits: 1, action: actionUrl, method: 'POST', timeout: 6, actionOnEmptyResult: false });
  gather.say(SPOKEN_VOICES[locale], texts.prompt);
  response.say(SPOKEN_VOICES[locale], texts.noAnswer);
  return response.toString();
}

export function voiceGatherRoutes(deps: ResolvedWebhookDeps): Hono {
  const app = new Hono();
  app.post('/twilio/gather/:messageId', async (c) => {
    const params = await readSignedTwilioForm(c, { publicBaseUrl: deps.publicBaseUrl, authToken: deps.twilioAuthToken });
    if (!params) return forbidden(c);
    const messageId = c.req.param('messageId');
    const em = deps.orm.em.fork();
    const message = isUuid(messageId) ? await em.findOne(Message, { id: messageId }) : null;
    const locale = localeOf(message?.locale);
    const texts = VOICE_REPLIES[locale];
    const appointment =
      message?.appointmentId && message.asksConfirmation ? await em.findOne(Appointment, { id: message.appointmentId, centerId: message.centerId }) : null;
    if (!message || !appointment || appointment.status === 'cancelled' || appointment.startAt <= deps.now()) {
      return twimlResponse(c, say(locale, texts.closed));
    }

    const digits = field(params, 'Digits') ?? '';
    const answer = DIGIT_ANSWERS[digits];
    if (!answer) {
      return twimlResponse(c, c.req.query('again') ? say(locale, texts.notUnderstood, texts.noAnswer) : askAgain(locale, `${deps.links.gatherUrl(message.id)}?again=1`));
    }
    const callSid = field(params, 'CallSid');
    if (!callSid || !/^CA[0-9a-f]{32}$/.test(callSid)) return c.text('CallSid: required, a Twilio call SID.', 400);
    await em.transactional((tx) =>
      enqueueCommands(tx, [{ type: 'patientAnswered', centerId: message.centerId, appointmentId: appointment.id, answer, via: 'voice', eventId: callSid + digits }]),
    );
    return twimlResponse(c, say(locale, answer === 'confirm' ? texts.confirmed : texts.cancelled));
  });
  return app;
}
