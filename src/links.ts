import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed public links in messages: confirm / cancel (B2-confirm), unsubscribe (X1), the read
 * tracking pixel (A4-read), and Twilio callback URLs. Tokens are HMACs of the message id and the
 * action, so a retried activity produces the same link and the database stores only a hash.
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

export function createLinks(options: { publicBaseUrl: string; secret: string }): Links {
  const base = options.publicBaseUrl.replace(/\/+$/, '');
  const token = (messageId: string, action: LinkAction) =>
    createHmac('sha256', options.secret).update(`${action}:${messageId}`).digest('base64url').slice(0, 32);
  const actionUrl = (messageId: string, action: LinkAction) => `${base}/l/${action}/${messageId}.${token(messageId, action)}`;
  return {
    token,
    verify(messageId, action, presented) {
      const expected = Buffer.from(token(messageId, action));
      const given = Buffer.from(presented);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
    confirmUrl: (id) => actionUrl(id, 'confirm'),
    cancelUrl: (id) => actionUrl(id, 'cancel'),
    unsubscribeUrl: (id) => actionUrl(id, 'unsubscribe'),
    trackingPixelUrl: (id) => `${actionUrl(id, 'open')}.gif`,
    statusCallbackUrl: (id) => `${base}/webhooks/twilio/status/${id}`,
    gatherUrl: (id) => `${base}/webhooks/twilio/gather/${id}`,
  };
}

/** Splits the `{messageId}.{token}` path segment of a link. */
export function parseLinkSegment(segment: string): { messageId: string; token: string } | null {
  const match = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{32})(?:\.gif)?$/.exec(segment);
  return match ? { messageId: match[1]!, token: match[2]! } : null;
}
