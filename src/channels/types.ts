import type { Channel } from '../domain/events.js';

/** What a channel needs to send one message; the activity builds it from the message row. */
export interface OutgoingMessage {
  /** Our message id: used as Message-ID / idempotency hint / status-callback correlation. */
  messageId: string;
  centerId: string;
  channel: Channel;
  /** Email address or E.164 phone number. */
  to: string;
  subject?: string | null;
  /** Plain text (email text part, SMS text, spoken text for voice). */
  text: string;
  locale: 'it' | 'en';
  senders: {
    emailFromName?: string | null;
    emailFromAddress?: string | null;
    emailReplyTo?: string | null;
    smsSenderId?: string | null;
    voiceCallerNumber?: string | null;
  };
  /** Email: List-Unsubscribe target (X1) for surveys and recalls. */
  unsubscribeUrl?: string | null;
  /** Email: tracking pixel URL when the center enables read tracking (A4-read). */
  trackingPixelUrl?: string | null;
  /** Email: confirm / cancel links of a reminder asking for confirmation (B2-confirm). */
  actionLinks?: { confirmUrl: string; cancelUrl: string } | null;
  /** Voice: ask for a keypress (1 confirm, 2 cancel) and post it to this URL. */
  gatherUrl?: string | null;
  /** SMS: the text asks for an answer by SMS (B2-confirm), so it must come from a number that can receive one. */
  expectsReply?: boolean;
  /** SMS / voice: where the provider posts delivery status. */
  statusCallbackUrl?: string | null;
}

export interface SendResult {
  providerId: string;
  /** SMS segments (F1 credits per segment); 1 for email and voice. */
  segments: number;
}

/**
 * Whether the provider may have taken the message despite the error: `not_sent` when it said no
 * or was never reached (refused connection, an SMTP reply code, a Twilio error answer), `unknown`
 * when the connection broke after the request went out (the message may exist at the provider).
 */
export type SendOutcome = 'not_sent' | 'unknown';

/** A provider failure classified once, at the channel boundary (novu-style). */
export class ChannelError extends Error {
  constructor(
    message: string,
    /** false = permanent (invalid number, opted out, 5xx SMTP): refund and stop. */
    readonly retryable: boolean,
    /** Provider error code, e.g. Twilio 21610 or SMTP 550; safe to store. */
    readonly code: string | null = null,
    readonly outcome: SendOutcome = 'not_sent',
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

/** A message found at the provider after a send whose answer was lost. */
export interface FoundMessage {
  providerId: string;
  /** The provider's own status word, e.g. `queued`, `delivered`, `completed`. */
  providerStatus: string;
}

export interface ChannelSender {
  readonly channel: Channel;
  send(message: OutgoingMessage): Promise<SendResult>;
  /** SMS: the From `send` will use for this message (X1 opt-outs are per sender; replies are matched by it). */
  senderFor?(message: OutgoingMessage): string;
  /**
   * SMS and voice: what the provider has that may be this message, made since `since`, oldest
   * first; email cannot be asked (no such method).
   */
  find?(message: OutgoingMessage, since: Date): Promise<FoundMessage[]>;
  close?(): Promise<void>;
}
