import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { Channel, EventKind, LedgerKind, Locale, MessageStatus, RecipientKind, SkipReason } from '../../domain/events.js';
import { BaseRow, CenterOwned, baseProperties, centerOwnedProperties } from './base.js';

/** E1: one row per message and channel, sent or not. */
export class Message extends CenterOwned {
  /** Derived from appointment + event + due time/revision + channel; never from run ids. */
  idempotencyKey!: string;
  appointmentId: string | null = null;
  eventKind!: EventKind;
  channel!: Channel;
  recipientKind!: RecipientKind;
  /** Patient or resource id; null for center admins. */
  recipientId: string | null = null;
  /** Email address or phone number used (kept for the summary; never logged). */
  recipientAddress: string | null = null;
  locale: Opt<Locale> = 'it';
  subject: string | null = null;
  body: string | null = null;
  status: Opt<MessageStatus> = 'scheduled';
  skipReason: SkipReason | null = null;
  /** Sanitised provider error. */
  failureReason: string | null = null;
  providerId: string | null = null;
  segments: number | null = null;
  credits: Opt<number> = 0;
  dueAt!: Date;
  sentAt: Date | null = null;
  deliveredAt: Date | null = null;
  readAt: Date | null = null;
  failedAt: Date | null = null;
  openCount: Opt<number> = 0;
  /** B2-confirm: the text asks the patient to confirm or cancel (links, reply words, keypress). */
  asksConfirmation: Opt<boolean> = false;
  /** B7: the stashed secret this message carries; the stored body is redacted. */
  secretRef: string | null = null;
  /** SMS: the From it went out from, set when it is claimed for sending; replies to it find it (X1, B2-confirm). */
  sender: string | null = null;
  /** The send attempt holding `sending` (fencing token: activity identity + attempt number). */
  claimHolder: string | null = null;
  claimAttempt: number | null = null;
  /** A live attempt renews this; past it, the holder is presumed dead. */
  leaseUntil: Date | null = null;
  /** Email sent again after an unknown outcome: the patient may have it twice (same Message-ID). */
  possibleDuplicate: Opt<boolean> = false;
}

export const MessageSchema = new EntitySchema<Message>({
  class: Message,
  tableName: 'messages',
  indexes: [
    { properties: ['centerId', 'createdAt'] },
    { properties: ['centerId', 'appointmentId'] },
    { properties: ['centerId', 'recipientId', 'eventKind', 'dueAt'] },
    // X7 retention: finds the rows still to redact without walking those already redacted.
    {
      name: 'messages_unredacted_index',
      expression:
        'create index "messages_unredacted_index" on "messages" ("center_id", "created_at") where "body" is not null or "subject" is not null or "recipient_address" is not null',
    },
  ],
  properties: {
    ...centerOwnedProperties,
    idempotencyKey: { type: 'string', length: 300, unique: true },
    appointmentId: { kind: 'm:1', entity: 'Appointment', mapToPk: true, nullable: true, deleteRule: 'set null', fieldName: 'appointment_id' },
    eventKind: { type: 'string', length: 40 },
    channel: { type: 'string', length: 10 },
    recipientKind: { type: 'string', length: 10 },
    recipientId: { type: 'uuid', nullable: true },
    recipientAddress: { type: 'string', nullable: true },
    locale: { type: 'string', length: 5 },
    subject: { type: 'text', nullable: true },
    body: { type: 'text', nullable: true },
    status: { type: 'string', length: 12, index: true },
    skipReason: { type: 'string', length: 30, nullable: true },
    failureReason: { type: 'text', nullable: true },
    providerId: { type: 'string', length: 100, nullable: true, index: true },
    segments: { type: 'integer', nullable: true },
    credits: { type: 'integer' },
    dueAt: { type: 'Date', columnType: 'timestamptz' },
    sentAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    deliveredAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    readAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    failedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    openCount: { type: 'integer' },
    asksConfirmation: { type: 'boolean' },
    secretRef: { type: 'uuid', nullable: true },
    sender: { type: 'string', length: 20, nullable: true },
    claimHolder: { type: 'string', length: 300, nullable: true },
    claimAttempt: { type: 'integer', nullable: true },
    leaseUntil: { type: 'Date', columnType: 'timestamptz', nullable: true },
    possibleDuplicate: { type: 'boolean', default: false },
  },
});

/** E1: the status history of one message (callbacks, opens, retries). */
export class MessageEvent extends BaseRow {
  messageId!: string;
  /** `reply`: an SMS reply about this message that was not acted on (e.g. ambiguous). */
  status!: MessageStatus | 'opened' | 'retry' | 'reply';
  detail: string | null = null;
}

export const MessageEventSchema = new EntitySchema<MessageEvent>({
  class: MessageEvent,
  tableName: 'message_events',
  indexes: [{ properties: ['createdAt'] }], // X7 retention purge
  properties: {
    ...baseProperties,
    messageId: { kind: 'm:1', entity: 'Message', mapToPk: true, deleteRule: 'cascade', index: true, fieldName: 'message_id' },
    status: { type: 'string', length: 12 },
    detail: { type: 'text', nullable: true },
  },
});

/** F1: the credit ledger; balance = sum(amount). One debit and one refund per message at most. */
export class CreditEntry extends CenterOwned {
  messageId: string | null = null;
  kind!: LedgerKind;
  /** Negative for debits. */
  amount!: number;
  note: string | null = null;
}

export const CreditEntrySchema = new EntitySchema<CreditEntry>({
  class: CreditEntry,
  tableName: 'credit_ledger',
  uniques: [{ properties: ['messageId', 'kind'] }],
  properties: {
    ...centerOwnedProperties,
    messageId: { kind: 'm:1', entity: 'Message', mapToPk: true, nullable: true, deleteRule: 'set null', fieldName: 'message_id' },
    kind: { type: 'string', length: 10 },
    amount: { type: 'integer' },
    note: { type: 'string', nullable: true },
  },
});

/** X1: an address (phone or email) that opted out of a channel for one center. */
export class OptOut extends CenterOwned {
  channel!: Channel;
  address!: string;
  source!: string;
}

export const OptOutSchema = new EntitySchema<OptOut>({
  class: OptOut,
  tableName: 'opt_outs',
  uniques: [{ properties: ['centerId', 'channel', 'address'] }],
  properties: {
    ...centerOwnedProperties,
    channel: { type: 'string', length: 10 },
    address: { type: 'string' },
    source: { type: 'string', length: 30 },
  },
});

/**
 * X1: a phone that wrote STOP to one of our SMS senders. Carriers (and Twilio) block that pair
 * whatever center sends, so it is checked at send time for every center using that sender.
 */
export class SenderOptOut extends BaseRow {
  sender!: string;
  address!: string;
  source!: string;
}

export const SenderOptOutSchema = new EntitySchema<SenderOptOut>({
  class: SenderOptOut,
  tableName: 'sender_opt_outs',
  uniques: [{ properties: ['sender', 'address'] }],
  properties: {
    ...baseProperties,
    sender: { type: 'string', length: 20 },
    address: { type: 'string' },
    source: { type: 'string', length: 30 },
  },
});
