import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createOutboxRelay, type OutboxRelay } from './outbox-relay.js';
import { createTemporalEngine } from './temporal-engine.js';

/**
 * Delivers what this process's requests (and any dead process's) committed to the outbox. Every
 * API process runs one, so a command waits milliseconds, not a poll; workers run one too, so
 * commands still go out while no API process is up.
 */
export async function startOutboxRelay(deps: { config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>; orm: MikroORM; client: Client; logger: Logger }): Promise<OutboxRelay> {
  const engine = createTemporalEngine({ client: deps.client, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, orm: deps.orm });
  const relay = createOutboxRelay({ orm: deps.orm, engine, logger: deps.logger });
  await relay.start();
  return relay;
}
