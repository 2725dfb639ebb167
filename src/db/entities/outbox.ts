import { EntitySchema, type Opt } from '@mikro-orm/core';

/**
 * One engine command (start or signal a workflow) written in the same transaction as the change
 * it announces, delivered to Temporal by the relay after the commit (src/engine/outbox-relay.ts)
 * and deleted once delivered. Commands carry ids, times and flags only, never patient data.
 */
export class OutboxCommand {
  /** Monotonic: commands of one stream are delivered in this order. */
  id!: Opt<string>;
  createdAt: Opt<Date> = new Date();
  /** Commands with the same stream (one workflow) are delivered one at a time, in order. */
  stream!: string;
  command!: Record<string, unknown>;
  attempts: Opt<number> = 0;
  /** Not before this time (back-off after a failed delivery). */
  availableAt: Opt<Date> = new Date();
  /** The last delivery error's class and message (never patient data: commands hold none). */
  lastError: string | null = null;
}

export const OutboxCommandSchema = new EntitySchema<OutboxCommand>({
  class: OutboxCommand,
  tableName: 'engine_outbox',
  indexes: [{ properties: ['stream', 'id'] }, { properties: ['availableAt'] }],
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' },
    stream: { type: 'string', length: 200 },
    command: { type: 'json' },
    attempts: { type: 'integer', default: 0 },
    availableAt: { type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' },
    lastError: { type: 'text', nullable: true },
  },
});
