import twilio from 'twilio';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import type { Locale } from '../domain/events.js';
import { classifyTwilioError } from './provider-errors.js';
import type { TwilioClient } from './twilio-client.js';
import { ChannelError, type ChannelSender, type FoundMessage, type OutgoingMessage, type SendResult } from './types.js';

/**
 * Voice messages: a call that speaks the text (landlines too). With a `gatherUrl` it asks for a
 * keypress, 1 to confirm and 2 to cancel (B2-confirm), and repeats once if nothing was pressed.
 */

/**
 * Voice and language per locale: Amazon Polly voices that Twilio's <Say> documents for that
 * language (Bianca speaks it-IT, Amy en-GB).
 */
type SpokenVoice = Required<Pick<VoiceResponse.SayAttributes, 'voice' | 'language'>>;

export const SPOKEN_VOICES: Record<Locale, SpokenVoice> = {
  it: { voice: 'Polly.Bianca', language: 'it-IT' },
  en: { voice: 'Polly.Amy', language: 'en-GB' },
};

const PROMPTS: Record<Locale, { gather: string; noAnswer: string }> = {
  it: {
    gather: "Premere 1 per confermare l'appuntamento, oppure 2 per disdirlo.",
    noAnswer: 'Non abbiamo ricevuto una risposta. Arrivederci.',
  },
  en: {
    gather: 'Press 1 to confirm your appointment, or 2 to cancel it.',
    noAnswer: 'We did not receive an answer. Goodbye.',
  },
};

/** Twilio refuses an inline `Twiml` parameter longer than this. */
export const MAX_TWIML_LENGTH = 4000;
const E164 = /^\+[1-9]\d{6,14}$/;

export interface VoiceTwimlInput {
  text: string;
  locale: Locale;
  /** Where Twilio posts the pressed digit; unset = no question asked. */
  gatherUrl?: string | null;
}

/** The TwiML of one voice message (pure, so it can be tested without a call). */
export function buildVoiceTwiml(input: VoiceTwimlInput): string {
  const speech = SPOKEN_VOICES[input.locale];
  const prompts = PROMPTS[input.locale];
  const response = new twilio.twiml.VoiceResponse();
  if (!input.gatherUrl) {
    // Said twice: the first words are often lost while the callee brings the phone to the ear.
    response.say(speech, input.text);
    response.pause({ length: 1 });
    response.say(speech, input.text);
    return response.toString();
  }
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const gather = response.gather({ numDigits: 1, action: input.gatherUrl, method: 'POST', timeout: 6, actionOnEmptyResult: false });
    gather.say(speech, input.text);
    gather.say(speech, prompts.gather);
  }
  response.say(speech, prompts.noAnswer);
  return response.toString();
}

export interface VoiceChannelDeps {
  twilio: TwilioClient;
  /** The platform's caller number (E.164), used when a center has none. */
  defaultFrom: string;
}

export function createVoiceChannel(deps: VoiceChannelDeps): ChannelSender {
  if (!E164.test(deps.defaultFrom)) throw new Error('defaultFrom: must be an E.164 phone number');
  return {
    channel: 'voice',
    /**
     * A call has no text to match: the earliest call to this number from this caller since the
     * send began (the caller skips those other messages account for).
     */
    async find(message, since): Promise<FoundMessage[]> {
      const from = message.senders.voiceCallerNumber?.trim() || deps.defaultFrom;
      try {
        const listed = await deps.twilio.calls.list({ to: message.to, from, limit: 100 });
        return listed
          .filter((c) => c.dateCreated >= since)
          .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime())
          .map((r) => ({ providerId: r.sid, providerStatus: r.status }));
      } catch (error) {
        throw classifyTwilioError(error);
      }
    },
    async send(message: OutgoingMessage): Promise<SendResult> {
      const callerNumber = message.senders.voiceCallerNumber?.trim() || null;
      if (callerNumber !== null && !E164.test(callerNumber)) {
        throw new ChannelError('senders.voiceCallerNumber: must be an E.164 phone number', false, 'invalid_caller_number');
      }
      if (message.text.trim() === '') throw new ChannelError('text: a voice message needs a non-empty text', false, 'empty_body');
      const twiml = buildVoiceTwiml({ text: message.text, locale: message.locale, gatherUrl: message.gatherUrl ?? null });
      if (twiml.length > MAX_TWIML_LENGTH) {
        throw new ChannelError(`text: too long for a voice message (TwiML over ${MAX_TWIML_LENGTH} characters)`, false, 'twiml_too_long');
      }
      try {
        const call = await deps.twilio.calls.create({
          to: message.to,
          from: callerNumber ?? deps.defaultFrom,
          twiml,
          ...(message.statusCallbackUrl
            ? { statusCallback: message.statusCallbackUrl, statusCallbackMethod: 'POST', statusCallbackEvent: ['completed'] }
            : {}),
        });
        return { providerId: call.sid, segments: 1 };
      } catch (error) {
        throw classifyTwilioError(error);
      }
    },
  };
}
