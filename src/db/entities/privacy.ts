import { EntitySchema } from '@mikro-orm/core';
import type { Channel } from '../../domain/events.js';
import { CenterOwned, centerOwnedProperties } from './base.js';

/** What a consent change touched (C2-privacy, C2-pref, X1). */
export const CONSENT_FIELDS = ['privacy_consent', 'channel_preference', 'opt_out'] as const;
export type ConsentField = (typeof CONSENT_FIELDS)[number];

/** Who made it: an API key (the booking system or an admin), the patient (STOP, a link), the platform. */
export const CONSENT_ACTORS = ['api_key', 'patient', 'platform'] as const;
export type ConsentActor = (typeof CONSENT_ACTORS)[number];

/**
 * X7: one change of a patient's privacy consent, channel preference or opt-out, with who made it,
 * through which path and when. Append-only. `patientId` is a plain column, not a foreign key, so
 * the history outlives the patient row. Values are the setting's own (true/false, a channel,
 * opted_out/opted_in): never a name, number or address.
 */
export class ConsentChange extends CenterOwned {
  patientId!: string;
  field!: ConsentField;
  /** The channel of an opt-out / opt-in. */
  channel: Channel | null = null;
  oldValue: string | null = null;
  newValue: string | null = null;
  actor!: ConsentActor;
  /** The API key's id when actor = api_key. */
  actorId: string | null = null;
  /** api, sms_reply, email_link, list_unsubscribe, erasure … */
  via!: string;
}

export const ConsentChangeSchema = new EntitySchema<ConsentChange>({
  class: ConsentChange,
  tableName: 'consent_changes',
  indexes: [{ properties: ['centerId', 'patientId', 'createdAt'] }],
  properties: {
    ...centerOwnedProperties,
    patientId: { type: 'uuid' },
    field: { type: 'string', length: 20 },
    channel: { type: 'string', length: 10, nullable: true },
    oldValue: { type: 'string', length: 20, nullable: true },
    newValue: { type: 'string', length: 20, nullable: true },
    actor: { type: 'string', length: 10 },
    actorId: { type: 'uuid', nullable: true },
    via: { type: 'string', length: 30 },
  },
});

/** X7: who erased a patient (GDPR art. 17), when, and what the erasure touched. One per patient. */
export class PatientErasure extends CenterOwned {
  patientId!: string;
  actor!: ConsentActor;
  actorId: string | null = null;
  messagesRedacted!: number;
  appointmentsStopped!: number;
  optOutsKept!: number;
}

export const PatientErasureSchema = new EntitySchema<PatientErasure>({
  class: PatientErasure,
  tableName: 'patient_erasures',
  uniques: [{ properties: ['centerId', 'patientId'] }],
  properties: {
    ...centerOwnedProperties,
    patientId: { type: 'uuid' },
    actor: { type: 'string', length: 10 },
    actorId: { type: 'uuid', nullable: true },
    messagesRedacted: { type: 'integer' },
    appointmentsStopped: { type: 'integer' },
    optOutsKept: { type: 'integer' },
  },
});
