import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { Channel, EventKind, Locale } from '../../domain/events.js';
import { BaseRow, CenterOwned, baseProperties, centerOwnedProperties } from './base.js';

export class Center extends BaseRow {
  name!: string;
  phone: string | null = null;
  website: string | null = null;
  timeZone: Opt<string> = 'Europe/Rome';
  locale: Opt<Locale> = 'it';
  currency: Opt<string> = 'EUR';
  /** A1: off = nothing at all is sent; scheduled work stays. */
  communicationsEnabled: Opt<boolean> = true;
  // A3 senders
  emailFromName: string | null = null;
  emailFromAddress: string | null = null;
  emailReplyTo: string | null = null;
  smsSenderId: string | null = null;
  voiceCallerNumber: string | null = null;
  /** C2-privacy: send only to patients with privacy consent. */
  privacyRequired: Opt<boolean> = false;
  /** A4-read: email open tracking pixel. */
  readTracking: Opt<boolean> = false;
  /** X7: days before message texts and addresses are redacted; null = the platform default. */
  messageRetentionDays: number | null = null;
  /** B6 recipients. */
  adminEmails: Opt<string[]> = [];
  // F1 prices (credits) and warning threshold
  priceEmail: Opt<number> = 0;
  priceSmsSegment: Opt<number> = 1;
  priceVoice: Opt<number> = 2;
  lowCreditThreshold: Opt<number> = 50;
  /** Kept in the same transaction as every ledger row; equals the ledger's sum. */
  creditBalance: Opt<number> = 0;
  lowCreditWarnedAt: Date | null = null;
  exhaustedWarnedAt: Date | null = null;
  // X4 booking-system callbacks
  callbackUrl: string | null = null;
  callbackSecret: string | null = null;
}

export const CenterSchema = new EntitySchema<Center>({
  class: Center,
  tableName: 'centers',
  properties: {
    ...baseProperties,
    name: { type: 'string' },
    phone: { type: 'string', nullable: true },
    website: { type: 'string', nullable: true },
    timeZone: { type: 'string' },
    locale: { type: 'string', length: 5 },
    currency: { type: 'string', length: 3 },
    communicationsEnabled: { type: 'boolean' },
    emailFromName: { type: 'string', nullable: true },
    emailFromAddress: { type: 'string', nullable: true },
    emailReplyTo: { type: 'string', nullable: true },
    smsSenderId: { type: 'string', length: 16, nullable: true },
    voiceCallerNumber: { type: 'string', length: 20, nullable: true },
    privacyRequired: { type: 'boolean' },
    readTracking: { type: 'boolean' },
    messageRetentionDays: { type: 'integer', nullable: true },
    adminEmails: { type: 'string[]' },
    priceEmail: { type: 'integer' },
    priceSmsSegment: { type: 'integer' },
    priceVoice: { type: 'integer' },
    lowCreditThreshold: { type: 'integer' },
    creditBalance: { type: 'integer' },
    lowCreditWarnedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    exhaustedWarnedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    callbackUrl: { type: 'string', nullable: true },
    callbackSecret: { type: 'string', nullable: true },
  },
});

/** A2 + B options: per center and event kind, the enabled channels and typed options. */
export class EventSetting extends CenterOwned {
  eventKind!: EventKind;
  channels: Opt<Channel[]> = [];
  /** Parsed with domain/policy.ts eventOptionSchemas on every read and write. */
  options: Opt<Record<string, unknown>> = {};
}

export const EventSettingSchema = new EntitySchema<EventSetting>({
  class: EventSetting,
  tableName: 'event_settings',
  uniques: [{ properties: ['centerId', 'eventKind'] }],
  properties: {
    ...centerOwnedProperties,
    eventKind: { type: 'string', length: 40 },
    channels: { type: 'string[]' },
    options: { type: 'json' },
  },
});

/** A4: a center's own template; without a row the built-in default applies. */
export class Template extends CenterOwned {
  eventKind!: EventKind;
  channel!: Channel;
  locale!: Locale;
  /** Email only. */
  subject: string | null = null;
  body!: string;
}

export const TemplateSchema = new EntitySchema<Template>({
  class: Template,
  tableName: 'templates',
  uniques: [{ properties: ['centerId', 'eventKind', 'channel', 'locale'] }],
  properties: {
    ...centerOwnedProperties,
    eventKind: { type: 'string', length: 40 },
    channel: { type: 'string', length: 10 },
    locale: { type: 'string', length: 5 },
    subject: { type: 'text', nullable: true },
    body: { type: 'text' },
  },
});
