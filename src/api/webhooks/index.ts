import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { confirmLinkRoutes } from './confirm-links.js';
import type { ResolvedWebhookDeps, WebhookDeps } from './deps.js';
import { inboundSmsRoutes } from './inbound-sms.js';
import { openPixelRoutes } from './open-pixel.js';
import { pageResponse } from './pages.js';
import { statusCallbackRoutes } from './status-callback.js';
import { PAGE_TEXTS } from './texts.js';
import { unsubscribeRoutes } from './unsubscribe.js';
import { voiceGatherRoutes } from './voice-gather.js';

export type { WebhookDeps } from './deps.js';

/**
 * The public, unauthenticated surface: Twilio callbacks (signed with X-Twilio-Signature) and
 * the links in messages (signed tokens). Two sub-apps, matching `AppDeps.webhooks` of
 * src/api/app.ts: `webhooks` is mounted at /webhooks, `links` at /l.
 *
 *   createApp({ ..., webhooks: createWebhooks({ orm, links, publicBaseUrl, twilioAuthToken }) })
 *
 * Twilio's phone number must post inbound SMS to `${PUBLIC_BASE_URL}/webhooks/twilio/inbound`.
 */
export interface WebhookApps {
  /** /twilio/status/:messageId, /twilio/inbound, /twilio/gather/:messageId */
  webhooks: Hono;
  /** /confirm/:segment, /cancel/:segment, /unsubscribe/:segment, /open/:segment */
  links: Hono;
}

/** Error names and routes only: a database error's text can quote a phone number or an address. */
function logFailure(logger: Logger | undefined, c: Context, error: Error): void {
  logger?.error({ error: error.name, route: c.req.routePath, method: c.req.method }, 'webhook request failed');
}

export function createWebhooks(deps: WebhookDeps): WebhookApps {
  const resolved: ResolvedWebhookDeps = { ...deps, now: deps.now ?? (() => new Date()) };

  const webhooks = new Hono();
  webhooks.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text('Request body too large.', 413) }));
  webhooks.route('/', statusCallbackRoutes(resolved));
  webhooks.route('/', inboundSmsRoutes(resolved));
  webhooks.route('/', voiceGatherRoutes(resolved));
  // Twilio retries or falls back on a 5xx; the body says nothing about the cause.
  webhooks.onError((error, c) => {
    logFailure(deps.logger, c, error);
    return c.text('Temporary failure; retry later.', 503);
  });

  const links = new Hono();
  links.use('*', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Request body too large.', 413) }));
  links.route('/', confirmLinkRoutes(resolved));
  links.route('/', unsubscribeRoutes(resolved));
  links.route('/', openPixelRoutes(resolved));
  links.onError((error, c) => {
    logFailure(deps.logger, c, error);
    const t = PAGE_TEXTS.it;
    const en = PAGE_TEXTS.en;
    return pageResponse(c, 503, { locale: 'it', title: `${t.errorTitle} / ${en.errorTitle}`, paragraphs: [t.errorBody, en.errorBody] });
  });

  return { webhooks, links };
}
