import { EntitySchema } from '@mikro-orm/core';

/**
 * The shared pace of one SMS / voice sender (X9): the earliest time its next provider call may
 * start, whichever worker makes it. Keyed by channel and sender (the From number or sender id,
 * the center's, never a patient's): the provider counts per sender, so centers sharing the
 * platform's default number share its pace.
 */
export class SenderPace {
  sender!: string;
  nextSlot!: Date;
}

export const SenderPaceSchema = new EntitySchema<SenderPace>({
  class: SenderPace,
  tableName: 'sender_paces',
  properties: {
    sender: { type: 'string', length: 64, primary: true },
    nextSlot: { type: 'Date', columnType: 'timestamptz' },
  },
});

/**
 * One SMS / voice provider call of a sender, from the moment it was let through until one
 * window after it ended (src/db/sender-paces.ts, `createSenderGate`): what the provider may
 * still be counting. Ids and times only.
 */
export class SenderSend {
  id!: string;
  sender!: string;
  startedAt!: Date;
  /** When the call ended (answered, failed or timed out); null while it may still be on its way. */
  endedAt: Date | null = null;
}

export const SenderSendSchema = new EntitySchema<SenderSend>({
  class: SenderSend,
  tableName: 'sender_sends',
  indexes: [{ properties: ['sender', 'startedAt'] }],
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    sender: { type: 'string', length: 64 },
    startedAt: { type: 'Date', columnType: 'timestamptz' },
    endedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
