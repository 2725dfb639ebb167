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
