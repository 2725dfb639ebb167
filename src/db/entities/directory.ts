import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { Channel, ChannelPreference, Locale } from '../../domain/events.js';
import { CenterOwned, centerOwnedProperties } from './base.js';

/** Directory rows are pushed by the booking system and keyed by its ids (externalId). */
const directoryProperties = {
  ...centerOwnedProperties,
  externalId: { type: 'string', length: 100 },
} as const;

export class Patient extends CenterOwned {
  externalId!: string;
  firstName!: string;
  lastName: string | null = null;
  mobile: string | null = null;
  landline: string | null = null;
  email: string | null = null;
  address: string | null = null;
  locale: Locale | null = null;
  /** C2-pref: null = the center's channels. */
  channelPreference: ChannelPreference | null = null;
  /** C2-privacy. */
  privacyConsent: Opt<boolean> = false;
  /** B2-recall: include an account set-up link for patients without a password. */
  hasPassword: Opt<boolean> = false;
  /** X1: channels the patient opted out of (STOP / unsubscribe). */
  optedOutChannels: Opt<Channel[]> = [];
  /** X7: erased (GDPR art. 17): personal fields cleared, nothing is sent to it any more. */
  erasedAt: Date | null = null;
}

export const PatientSchema = new EntitySchema<Patient>({
  class: Patient,
  tableName: 'patients',
  uniques: [{ properties: ['centerId', 'externalId'] }],
  properties: {
    ...directoryProperties,
    firstName: { type: 'string' },
    lastName: { type: 'string', nullable: true },
    mobile: { type: 'string', length: 20, nullable: true, index: true },
    landline: { type: 'string', length: 20, nullable: true },
    email: { type: 'string', nullable: true },
    address: { type: 'string', nullable: true },
    locale: { type: 'string', length: 5, nullable: true },
    channelPreference: { type: 'string', length: 10, nullable: true },
    privacyConsent: { type: 'boolean' },
    hasPassword: { type: 'boolean' },
    optedOutChannels: { type: 'string[]' },
    erasedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});

export class Resource extends CenterOwned {
  externalId!: string;
  name!: string;
  address: string | null = null;
  phone: string | null = null;
  mobile: string | null = null;
  email: string | null = null;
  locale: Locale | null = null;
  /** C1: false = nothing about this resource's appointments is sent. */
  memoEnabled: Opt<boolean> = true;
}

export const ResourceSchema = new EntitySchema<Resource>({
  class: Resource,
  tableName: 'resources',
  uniques: [{ properties: ['centerId', 'externalId'] }],
  properties: {
    ...directoryProperties,
    name: { type: 'string' },
    address: { type: 'string', nullable: true },
    phone: { type: 'string', length: 20, nullable: true },
    mobile: { type: 'string', length: 20, nullable: true },
    email: { type: 'string', nullable: true },
    locale: { type: 'string', length: 5, nullable: true },
    memoEnabled: { type: 'boolean' },
  },
});

export class Service extends CenterOwned {
  externalId!: string;
  name!: string;
  /** Decimal string in the center's currency, e.g. "80.00". */
  price: string | null = null;
  durationMinutes: number | null = null;
  /** A4-prep: rendered by TRD23 only when sendPreparation is on. */
  preparation: string | null = null;
  sendPreparation: Opt<boolean> = false;
  /** D1: false = nothing about this service's appointments is sent. */
  memoEnabled: Opt<boolean> = true;
  /** B2-recall: the service's own recall interval. */
  recallIntervalDays: number | null = null;
}

export const ServiceSchema = new EntitySchema<Service>({
  class: Service,
  tableName: 'services',
  uniques: [{ properties: ['centerId', 'externalId'] }],
  properties: {
    ...directoryProperties,
    name: { type: 'string' },
    price: { type: 'decimal', precision: 10, scale: 2, nullable: true },
    durationMinutes: { type: 'integer', nullable: true },
    preparation: { type: 'text', nullable: true },
    sendPreparation: { type: 'boolean' },
    memoEnabled: { type: 'boolean' },
    recallIntervalDays: { type: 'integer', nullable: true },
  },
});

/** A "sede" / agenda: where the appointment happens (A4-site). */
export class Location extends CenterOwned {
  externalId!: string;
  site!: string;
  locality: string | null = null;
  phone: string | null = null;
  address: string | null = null;
  notes: string | null = null;
}

export const LocationSchema = new EntitySchema<Location>({
  class: Location,
  tableName: 'locations',
  uniques: [{ properties: ['centerId', 'externalId'] }],
  properties: {
    ...directoryProperties,
    site: { type: 'string' },
    locality: { type: 'string', nullable: true },
    phone: { type: 'string', length: 20, nullable: true },
    address: { type: 'string', nullable: true },
    notes: { type: 'text', nullable: true },
  },
});
