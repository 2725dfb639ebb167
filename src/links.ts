import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { keyRing, type SecretKey } from './keyring.js';

/**
 * Signed public links in messages: confirm / cancel (B2-confirm), unsubscribe (X1), the read
 * tracking pixel (A4-read), and Twilio callback URLs. Tokens are HMACs of the message id and the
 * action, so a retried activity produces the same link and the database stores only a hash.
 * A token is `{keyId}.{hmac}`: the newest key signs, every key of the ring still verifies, so a
 * rotation leaves links already sent working. Tokens issued before key ids (a bare hmac) are checked
 * against every key.
 */
export type LinkAction = 'confirm' | 'cancel' | 'unsubscribe' | 'open';

export interface Links {
  token(messageId: string, action: LinkAction): string;
  verify(messageId: string, action: LinkAction, token: string): boolean;
  confirmUrl(messageId: string): string;
  cancelUrl(messageId: string): string;
  unsubscribeUrl(messageId: string): string;
  trackingPixelUrl(messageId: string): string;
  statusCallbackUrl(messageId: string): string;
  gatherUrl(messageId: string): string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** `secret`: a ring of keys with ids (newest first), or one legacy secret. */
export function createLinks(options: { publicBaseUrl: string; secret: string | readonly SecretKey[] }): Links {
  const base = options.publicBaseUrl.replace(/\/+$/, '');
  const ring = keyRing(options.secret);
  const mac = (key: SecretKey, messageId: string, action: LinkAction) =>
    createHmac('sha256', key.secret).update(`${action}:${messageId}`).digest('base64url').slice(0, 32);
  const token = (messageId: string, action: LinkAction) => `${ring.current.id}.${mac(ring.current, messageId, action)}`;
  const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
  const actionUrl = (messageId: string, action: LinkAction) => `${base}/l/${action}/${messageId}.${token(messageId, action)}`;
  return {
    token,
    verify(messageId, action, presented) {
      const dot = presented.lastIndexOf('.');
      const given = presented.slice(dot + 1);
      const keys = dot < 0 ? ring.all : [ring.get(presented.slice(0, dot))].filter((key) => key !== undefined);
      return keys.some((key) => same(mac(key, messageId, action), given));
    },
    confirmUrl: (id) => actionUrl(id, 'confirm'),
    cancelUrl: (id) => actionUrl(id, 'cancel'),
    unsubscribeUrl: (id) => actionUrl(id, 'unsubscribe'),
    trackingPixelUrl: (id) => `${actionUrl(id, 'open')}.gif`,
    statusCallbackUrl: (id) => `${base}/webhooks/twilio/status/${id}`,
    gatherUrl: (id) => `${base}/webhooks/twilio/gather/${id}`,
  };
}

/** Splits the `{messageId}.{token}` path segment of a link (token: `{keyId}.{hmac}`, or a bare legacy hmac). */
export function parseLinkSegment(segment: string): { messageId: string; token: string } | null {
  const match = /^([0-9a-f-]{36})\.((?:[A-Za-z0-9_-]{1,16}\.)?[A-Za-z0-9_-]{32})(?:\.gif)?$/.exec(segment);
  return match ? { messageId: match[1]!, token: match[2]! } : null;
}
