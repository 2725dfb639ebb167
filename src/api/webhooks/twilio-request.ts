import type { Context } from 'hono';
import { verifyTwilioSignature, type TwilioParams } from '../../channels/twilio-signature.js';

/**
 * Reads a Twilio webhook's form body and checks X-Twilio-Signature against the public URL
 * (PUBLIC_BASE_URL + path + query): null when the signature is missing or wrong.
 */
export async function readSignedTwilioForm(c: Context, options: { publicBaseUrl: string; authToken: string }): Promise<TwilioParams | null> {
  const signature = c.req.header('x-twilio-signature');
  if (!signature) return null;
  const url = new URL(c.req.url);
  const params: TwilioParams = Object.fromEntries(new URLSearchParams(await c.req.text()));
  const valid = verifyTwilioSignature({
    authToken: options.authToken,
    publicUrl: options.publicBaseUrl,
    pathAndQuery: `${url.pathname}${url.search}`,
    params,
    signature,
  });
  return valid ? params : null;
}

/** A bad or missing signature: nothing is read further, nothing changes. */
export function forbidden(c: Context): Response {
  return c.text('Invalid Twilio signature.', 403);
}

export function twimlResponse(c: Context, twiml: string): Response {
  return c.body(twiml, 200, { 'content-type': 'text/xml; charset=utf-8', 'cache-control': 'no-store' });
}

/** A required form field, trimmed; null when absent or blank. */
export function field(params: TwilioParams, name: string): string | null {
  const value = params[name]?.trim();
  return value ? value : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);
