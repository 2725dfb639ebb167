import { Hono } from 'hono';
import { recordOpen } from '../../messages/reports.js';
import { parseLinkSegment } from '../../links.js';
import type { ResolvedWebhookDeps } from './deps.js';

/**
 * A4-read: the tracking pixel of an email. Every open adds to the message's count; the first
 * sets `readAt` and is the one `opened` event of its history (a mail app or a proxy may load the
 * image hundreds of times: a count, not a row per hit). The status moves to `read` only forward
 * (never out of failed or skipped). The answer is the same transparent GIF whatever happened,
 * so a bad token learns nothing and a mail app shows nothing.
 */

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

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
