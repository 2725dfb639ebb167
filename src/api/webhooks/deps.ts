import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { MessageObserver } from '../../messages/observer.js';
import type { Links } from '../../links.js';

/** What the webhook and public-link sub-apps need; built once by whoever mounts them. */
export interface WebhookDeps {
  /** Answers and callbacks go to the engine through the outbox, in the transaction that records them. */
  orm: MikroORM;
  links: Links;
  /** PUBLIC_BASE_URL: Twilio signs the URL it was given, not the one a proxy forwards to us. */
  publicBaseUrl: string;
  twilioAuthToken: string;
  now?: () => Date;
  /** Only routes, statuses and message ids are logged, never addresses or texts. */
  logger?: Logger;
  /** Told of delivery reports that changed a message (metrics). */
  observer?: MessageObserver;
}

/** The deps with the optional clock resolved. */
export type ResolvedWebhookDeps = WebhookDeps & { now: () => Date };
