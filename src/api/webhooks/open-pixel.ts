import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Hono } from 'hono';
import { Center, Message, MessageEvent } from '../../db/entities/index.js';
import { advanceStatus } from '../../domain/delivery-status.js';
import { parseLinkSegment } from '../../links.js';
import type { ResolvedWebhookDeps } from './deps.js';

/**
 * A4-read: the tracking pixel of an email. Every open adds to the message's count; the first
 * sets `readAt` and is the one `opened` event of its history (a mail app or a proxy may load the
 * image hundreds of times: a count, not a row per hit). The status moves to `read` only forward
 * (never out of failed or skipped). The answer is the same transparent GIF whatever happened,
 * so a bad token learns nothing and a mail app shows nothing.
 */

export const OPEN_NOTE = 'opens are not reliable proof of reading';

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** Records one open; false when nothing was recorded (unknown message, tracking off). */
export async function recordOpen(em: EntityManager, messageId: string, now: Date): Promise<boolean> {
  return em.transactional(async (tx) => {
    const message = await tx.findOne(Message, { id: messageId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!message || message.channel !== 'email') return false;
    // A center that turned read tracking off after sending no longer wants opens recorded.
    const center = await tx.findOne(Center, { id: message.centerId }, { fields: ['readTracking'] });
    if (!center?.readTracking) return false;
    message.openCount += 1;
    const next = advanceStatus(message.status, 'read');
    if (next) message.status = next;
    if (message.readAt === null) tx.create(MessageEvent, { messageId: message.id, status: 'opened', detail: OPEN_NOTE });
    message.readAt ??= now;
    return true;
  });
}

export function openPixelRoutes(deps: ResolvedWebhookDeps): Hono {
  const app = new Hono();
  app.get('/open/:segment', async (c) => {
    const segment = c.req.param('segment');
    const parsed = parseLinkSegment(segment);
    // HEAD is a link checker, not a reader.
    if (c.req.method === 'GET' && parsed && segment.endsWith('.gif') && deps.links.verify(parsed.messageId, 'open', parsed.token)) {
      await recordOpen(deps.orm.em.fork(), parsed.messageId, deps.now());
    }
    return c.body(new Uint8Array(PIXEL), 200, {
      'content-type': 'image/gif',
      'content-length': String(PIXEL.length),
      'cache-control': 'no-store, no-cache, must-revalidate, max-age=0',
      pragma: 'no-cache',
      expires: '0',
    });
  });
  return app;
}
