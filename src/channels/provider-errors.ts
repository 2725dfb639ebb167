import twilio from 'twilio';
import { ChannelError } from './types.js';

/**
 * Provider failures classified once, at the channel boundary (novu's serialize-provider-error):
 * retryable (Temporal retries the send) or permanent (refund, record, stop), with a message that
 * is safe to store and to put into workflow history: phone numbers and email addresses masked.
 */

const EMAIL = /[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g;
// A run of digits with the separators people write in phone numbers; masked when it holds at
// least 7 digits, so SMTP codes like 550 5.1.1 stay readable.
const PHONE_LIKE = /\+?\d[\d\s().\/-]{4,}\d/g;
const MAX_MESSAGE = 300;

/** Masks email addresses and phone numbers, and bounds the length. */
export function sanitizeProviderText(text: string): string {
  const masked = text
    .replace(EMAIL, '<email>')
    .replace(PHONE_LIKE, (run) => (run.replace(/\D/g, '').length >= 7 ? '<phone>' : run))
    .replace(/\s+/g, ' ')
    .trim();
  return masked.length > MAX_MESSAGE ? `${masked.slice(0, MAX_MESSAGE - 1)}…` : masked;
}

/** Node / nodemailer / axios error codes of a connection that failed or timed out. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  // nodemailer
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'ETLS',
]);

/** Codes of a connection that never reached the provider: nothing can have been sent. */
const NEVER_REACHED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EDNS']);
/**
 * SMTP commands before the message data: a failure there sent nothing. (Not `CONN`: nodemailer
 * names every unexpected close so, even one after the data went out.)
 */
const SMTP_BEFORE_DATA = /^(EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL|RCPT)\b/i;

function stringProp(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  const prop: unknown = (value as Record<string, unknown>)[key];
  return typeof prop === 'string' ? prop : undefined;
}

function numberProp(value: unknown, key: string): number | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  const prop: unknown = (value as Record<string, unknown>)[key];
  return typeof prop === 'number' && Number.isFinite(prop) ? prop : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * nodemailer / SMTP: a 4xx reply, a connection error or a timeout is retryable; a 5xx reply
 * (unknown mailbox, rejected content, failed authentication) is permanent.
 */
export function classifySmtpError(error: unknown): ChannelError {
  if (error instanceof ChannelError) return error;
  const responseCode = numberProp(error, 'responseCode');
  const code = stringProp(error, 'code');
  // The server's reply already starts with its code ("451 4.7.1 ..."): say it once.
  const text = sanitizeProviderText((stringProp(error, 'response') ?? messageOf(error)).replace(/^\d{3}[ -]/, ''));
  if (responseCode !== undefined) {
    return new ChannelError(`SMTP ${responseCode}: ${text}`, responseCode < 500, String(responseCode));
  }
  // nodemailer refuses an envelope without a usable recipient before talking to the server.
  if (code === 'EENVELOPE') return new ChannelError(`SMTP envelope rejected: ${text}`, false, code);
  // A connection that broke once the data may have gone out leaves the outcome unknown.
  const command = stringProp(error, 'command');
  // A refused connection comes as ESOCKET with the system's code only in the message.
  const refused = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/.test(messageOf(error));
  const outcome = (code !== undefined && NEVER_REACHED_CODES.has(code)) || refused || (command !== undefined && SMTP_BEFORE_DATA.test(command)) ? 'not_sent' : 'unknown';
  if (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) {
    return new ChannelError(`SMTP connection failed (${code}): ${text}`, true, code, outcome);
  }
  return new ChannelError(`SMTP send failed: ${text}`, true, code ?? null, outcome);
}

/** Twilio error codes that no retry can fix (https://www.twilio.com/docs/api/errors). */
export const PERMANENT_TWILIO_CODES: ReadonlySet<number> = new Set([
  21211, // invalid 'To' number
  21610, // recipient replied STOP
  21614, // 'To' is not a mobile number
  21408, // region not enabled
  21612, // 'To' not reachable from this 'From'
]);

/** Twilio 4xx codes that mean "not now" rather than "never". */
const RETRYABLE_TWILIO_CODES: ReadonlySet<number> = new Set([
  20429, // too many requests
  21611, // the sender's queue is full
]);

/**
 * Twilio: HTTP 429 and 5xx, network errors and timeouts are retryable; other 4xx answers
 * (invalid or unsubscribed number, bad sender, bad credentials) are permanent.
 */
export function classifyTwilioError(error: unknown): ChannelError {
  if (error instanceof ChannelError) return error;
  if (error instanceof twilio.RestException) {
    const text = sanitizeProviderText(error.message);
    const code = error.code ?? null;
    const label = code === null ? `Twilio HTTP ${error.status}` : `Twilio ${code}`;
    const retryable =
      error.status === 429 ||
      error.status === 408 ||
      error.status >= 500 ||
      (code !== null && RETRYABLE_TWILIO_CODES.has(code) && !PERMANENT_TWILIO_CODES.has(code));
    return new ChannelError(`${label}: ${text}`, retryable, code === null ? `http_${error.status}` : String(code));
  }
  // No answer: the request may have reached Twilio and made the message (a timeout, a dropped
  // connection), unless the connection was never made.
  const code = stringProp(error, 'code');
  const text = sanitizeProviderText(messageOf(error));
  const outcome = code !== undefined && NEVER_REACHED_CODES.has(code) ? 'not_sent' : 'unknown';
  if (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) {
    return new ChannelError(`Twilio unreachable (${code}): ${text}`, true, code, outcome);
  }
  return new ChannelError(`Twilio request failed: ${text}`, true, code ?? null, outcome);
}
