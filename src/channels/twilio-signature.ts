import twilio from 'twilio';

/**
 * X-Twilio-Signature: HMAC-SHA1 with the auth token over the full URL Twilio called plus the
 * sorted POST params. Behind a proxy the request's own host is not the one Twilio signed, so
 * the URL is rebuilt from the configured public base URL.
 */

export type TwilioParams = Record<string, string>;

export interface VerifyTwilioSignatureInput {
  authToken: string;
  /** PUBLIC_BASE_URL, e.g. https://comms.example.com (a path prefix is kept). */
  publicUrl: string;
  /** The path and query string the request arrived with, e.g. `/webhooks/twilio/sms?c=1`. */
  pathAndQuery: string;
  /** The form-encoded body, decoded. */
  params: TwilioParams;
  /** The `X-Twilio-Signature` header; missing → not valid. */
  signature: string | null | undefined;
}

/** The URL Twilio was given: public base (no trailing slash) + path and query. */
export function publicWebhookUrl(publicUrl: string, pathAndQuery: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  const path = pathAndQuery.startsWith('/') ? pathAndQuery : `/${pathAndQuery}`;
  return `${base}${path}`;
}

export function verifyTwilioSignature(input: VerifyTwilioSignatureInput): boolean {
  if (!input.signature) return false;
  return twilio.validateRequest(input.authToken, input.signature, publicWebhookUrl(input.publicUrl, input.pathAndQuery), input.params);
}

/** The signature Twilio would send for these params to this URL (tests, the Twilio test server). */
export function signTwilioRequest(authToken: string, url: string, params: TwilioParams): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}
