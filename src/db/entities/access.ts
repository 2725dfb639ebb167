import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { ApiKeyScope } from '../../domain/events.js';
import { BaseRow, CenterOwned, baseProperties, centerOwnedProperties } from './base.js';

/** An API key, stored as a SHA-256 hash; `booking` and `admin` keys are bound to one center. */
export class ApiKey extends BaseRow {
  centerId: string | null = null;
  name!: string;
  /** First characters of the key, shown to admins to tell keys apart. */
  prefix!: string;
  hash!: string;
  scope!: ApiKeyScope;
  revokedAt: Date | null = null;
}

export const ApiKeySchema = new EntitySchema<ApiKey>({
  class: ApiKey,
  tableName: 'api_keys',
  properties: {
    ...baseProperties,
    centerId: { kind: 'm:1', entity: 'Center', mapToPk: true, nullable: true, deleteRule: 'cascade', index: true, fieldName: 'center_id' },
    name: { type: 'string' },
    prefix: { type: 'string', length: 16 },
    hash: { type: 'string', length: 64, unique: true },
    scope: { type: 'string', length: 10 },
    revokedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});

/** B2-confirm: a single-use confirm/cancel link token, stored hashed, expiring at the start. */
export class ConfirmToken extends CenterOwned {
  appointmentId!: string;
  messageId: string | null = null;
  tokenHash!: string;
  expiresAt!: Date;
  usedAt: Date | null = null;
  outcome: 'confirmed' | 'cancelled' | null = null;
}

export const ConfirmTokenSchema = new EntitySchema<ConfirmToken>({
  class: ConfirmToken,
  tableName: 'confirm_tokens',
  properties: {
    ...centerOwnedProperties,
    appointmentId: { kind: 'm:1', entity: 'Appointment', mapToPk: true, deleteRule: 'cascade', fieldName: 'appointment_id' },
    messageId: { kind: 'm:1', entity: 'Message', mapToPk: true, nullable: true, deleteRule: 'set null', fieldName: 'message_id' },
    tokenHash: { type: 'string', length: 64, unique: true },
    expiresAt: { type: 'Date', columnType: 'timestamptz' },
    usedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    outcome: { type: 'string', length: 10, nullable: true },
  },
});

/** X5: the first response to a POST with an Idempotency-Key, replayed on repeats. */
export class IdempotencyRecord extends BaseRow {
  apiKeyId!: string;
  key!: string;
  requestHash!: string;
  status!: number;
  responseBody!: string;
}

export const IdempotencyRecordSchema = new EntitySchema<IdempotencyRecord>({
  class: IdempotencyRecord,
  tableName: 'idempotency_records',
  uniques: [{ properties: ['apiKeyId', 'key'] }],
  // Retention / housekeeping purge records past their time to live (src/db/idempotency-records.ts).
  indexes: [{ properties: ['createdAt'] }],
  properties: {
    ...baseProperties,
    apiKeyId: { kind: 'm:1', entity: 'ApiKey', mapToPk: true, deleteRule: 'cascade', fieldName: 'api_key_id' },
    key: { type: 'string', length: 200 },
    requestHash: { type: 'string', length: 64 },
    status: { type: 'integer' },
    responseBody: { type: 'text' },
  },
});

/** X4: one signed callback to the booking system, retried by a Temporal activity until accepted. */
export class CallbackDelivery extends CenterOwned {
  /** e.g. appointment.confirmed, appointment.cancelled, patient.opted_out */
  type!: string;
  /** Event id sent to the booking system so it can dedupe. */
  eventId!: string;
  payload!: Record<string, unknown>;
  attempts: Opt<number> = 0;
  deliveredAt: Date | null = null;
  lastError: string | null = null;
}

export const CallbackDeliverySchema = new EntitySchema<CallbackDelivery>({
  class: CallbackDelivery,
  tableName: 'callback_deliveries',
  indexes: [{ properties: ['deliveredAt'] }], // X7 retention purge
  properties: {
    ...centerOwnedProperties,
    type: { type: 'string', length: 40 },
    eventId: { type: 'string', length: 100, unique: true },
    payload: { type: 'json' },
    attempts: { type: 'integer' },
    deliveredAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    lastError: { type: 'text', nullable: true },
  },
});

/**
 * B7: a password or set-up link waiting for the one message that carries it, AES-256-GCM
 * encrypted, deleted when the message is sent or when it expires. Never in Temporal history.
 */
export class MessageSecret extends CenterOwned {
  ciphertext!: string;
  expiresAt!: Date;
}

export const MessageSecretSchema = new EntitySchema<MessageSecret>({
  class: MessageSecret,
  tableName: 'message_secrets',
  properties: {
    ...centerOwnedProperties,
    ciphertext: { type: 'text' },
    expiresAt: { type: 'Date', columnType: 'timestamptz', index: true },
  },
});
