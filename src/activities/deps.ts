import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Pacer } from '../channels/pacer.js';
import type { ChannelSender } from '../channels/types.js';
import type { OutboundPolicy } from '../domain/outbound-address.js';
import type { Channel } from '../domain/events.js';
import type { SecretStash } from '../db/secret-stash.js';
import type { Links } from '../links.js';
import type { MessageObserver } from '../messages/observer.js';

/** Everything activities touch, built once by the worker and passed in (no module singletons). */
export interface ActivityDeps {
  orm: MikroORM;
  channels: Record<Channel, ChannelSender>;
  /** A3, X9: the per-sender pace of SMS and voice provider calls (its slots shared by all workers). */
  phonePacer?: Pacer;
  links: Links;
  /** B7: encrypted one-message secrets (passwords, set-up links). */
  secrets: SecretStash;
  /** Starts and signals other workflows (recalls, alert fan-out). */
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  /** X4: where booking-system callbacks may go (default: https to public addresses only). */
  callbackPolicy?: OutboundPolicy;
  /** Told of each message's outcome (metrics); default: nobody. */
  observer?: MessageObserver;
  now?: () => Date;
  /**
   * #13: this worker runs the email dispatcher (src/messages/dispatcher.ts), so emails prepared
   * ahead are marked for it and their workflow only checks them after the grace period.
   */
  emailDispatch?: boolean;
  /** X3: how the policy fan-out paces its signals (src/activities/policy-fanout.ts); tests shrink it. */
  fanoutPacing?: { concurrency: number; ahead: number };
}
