import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { ApprovedSenders } from '../../domain/approved-senders.js';
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
  /** A3: what the platform allows the senders above to be (set by the platform, never by the center). */
  approvedSenders: Opt<ApprovedSenders> = { emailAddresses: [], emailDomains: [], smsSenderIds: [], voiceNumbers: [] };
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
  // Set by the platform only: where SMS and voice may go and how many a day (issue 9, costs).
  /** ISO 3166 alpha-2; the default destination country. */
  country: Opt<string> = 'IT';
  /** SMS / voice destination countries (ISO 3166 alpha-2); null = the center's country only. */
  phoneCountries: string[] | null = null;
  /** SMS + voice messages per local day; the ones beyond are skipped (`daily_cap`). */
  dailyPhoneCap: Opt<number> = 2000;
  /** Kept in the same transaction as every ledger row; equals the ledger's sum. */
  creditBalance: Opt<number> = 0;
  lowCreditWarnedAt: Date | null = null;
  exhaustedWarnedAt: Date | null = null;
  // X4 booking-system callbacks
  callbackUrl: string | null = null;
  callbackSecret: string | null = null;
  /**
   * X3: raised by every change that re-plans scheduled messages (settings, switch, templates).
   * Policy signals carry it, so an activity can tell that it read an older row than it was told.
   */
  settingsVersion: Opt<number> = 0;
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
    approvedSenders: { type: 'json' },
    privacyRequired: { type: 'boolean' },
    readTracking: { type: 'boolean' },
    messageRetentionDays: { type: 'integer', nullable: true },
    adminEmails: { type: 'string[]' },
    priceEmail: { type: 'integer' },
    priceSmsSegment: { type: 'integer' },
    priceVoice: { type: 'integer' },
    lowCreditThreshold: { type: 'integer' },
    country: { type: 'string', length: 2 },
    phoneCountries: { type: 'string[]', nullable: true },
    dailyPhoneCap: { type: 'integer' },
    creditBalance: { type: 'integer' },
    lowCreditWarnedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    exhaustedWarnedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    callbackUrl: { type: 'string', nullable: true },
    callbackSecret: { type: 'string', nullable: true },
    settingsVersion: { type: 'integer', default: 0 },
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
