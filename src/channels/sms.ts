import { smsSegments } from '../domain/sms-segments.js';
import { classifyTwilioError } from './provider-errors.js';
import type { TwilioClient } from './twilio-client.js';
import { ChannelError, type ChannelSender, type FoundMessage, type OutgoingMessage, type SendResult } from './types.js';

/**
 * SMS through Twilio (A3 sender ID, F1 segments). The sender is the center's SMS sender ID when
 * it has one, else the platform's default number. An alphanumeric sender cannot receive replies:
 * a message that asks for an answer by SMS (B2-confirm) goes from the platform's reply number
 * instead, so the patient's YES / NO / STOP reaches us and names the sender it answers.
 */

const E164 = /^\+[1-9]\d{6,14}$/;
// Twilio alphanumeric sender IDs: 1–11 of A–Z, a–z, 0–9 and space, with at least one letter.
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

/** A3: an alphanumeric sender ID (≤ 11 chars, at least one letter) or an E.164 number. */
export function isValidSmsSenderId(senderId: string): boolean {
  return E164.test(senderId) || (ALPHANUMERIC_SENDER.test(senderId) && senderId.trim() === senderId);
}

export interface SmsChannelDeps {
  twilio: TwilioClient;
  /** The platform's own number (E.164), used when a center has no sender ID. */
  defaultFrom: string;
  /** The platform's number (E.164) that receives replies, for a message expecting one from an alphanumeric sender. */
  replyFrom: string;
}

/** Twilio bills what it counts; our own count covers an answer without a usable `num_segments`. */
function segmentsOf(twilioCount: string | null | undefined, text: string): number {
  const counted = Number(twilioCount);
  return Number.isInteger(counted) && counted > 0 ? counted : Math.max(1, smsSegments(text).segments);
}

export function createSmsChannel(deps: SmsChannelDeps): ChannelSender {
  if (!isValidSmsSenderId(deps.defaultFrom)) {
    throw new Error('defaultFrom: must be an E.164 number or an alphanumeric sender ID of at most 11 characters');
  }
  if (!E164.test(deps.replyFrom)) throw new Error('replyFrom: must be an E.164 number');
  const senderFor = (message: OutgoingMessage): string => {
    const from = message.senders.smsSenderId?.trim() || deps.defaultFrom;
    return message.expectsReply && !E164.test(from) ? deps.replyFrom : from;
  };
  return {
    channel: 'sms',
    senderFor,
    /** The newest-first list of messages to this number from this sender: ours has our text. */
    async find(message, since): Promise<FoundMessage[]> {
      try {
        const listed = await deps.twilio.messages.list({ to: message.to, from: senderFor(message), limit: 100 });
        return listed
          .filter((m) => m.dateCreated >= since && m.body === message.text)
          .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime())
          .map((r) => ({ providerId: r.sid, providerStatus: r.status }));
      } catch (error) {
        throw classifyTwilioError(error);
      }
    },
    async send(message: OutgoingMessage): Promise<SendResult> {
      const senderId = message.senders.smsSenderId?.trim() || null;
      if (senderId !== null && !isValidSmsSenderId(senderId)) {
        throw new ChannelError(
          'senders.smsSenderId: must be an alphanumeric sender ID of at most 11 characters (letters, digits, spaces, at least one letter) or an E.164 number',
          false,
          'invalid_sender_id',
        );
      }
      if (message.text.trim() === '') throw new ChannelError('text: an SMS needs a non-empty text', false, 'empty_body');
      try {
        const sent = await deps.twilio.messages.create({
          to: message.to,
          from: senderFor(message),
          body: message.text,
          ...(message.statusCallbackUrl ? { statusCallback: message.statusCallbackUrl } : {}),
        });
        return { providerId: sent.sid, segments: segmentsOf(sent.numSegments, message.text) };
      } catch (error) {
        throw classifyTwilioError(error);
      }
    },
  };
}
