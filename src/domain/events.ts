/** The event kinds of SPEC.md; each has its own channels (A2) and templates (A4). */
export const EVENT_KINDS = [
  'appointment.created',
  'appointment.modified',
  'appointment.cancelled',
  'appointment.reminder',
  'appointment.second_reminder',
  'appointment.post_visit',
  'recall',
  'alert.delay',
  'alert.cancellation',
  'resource.reminder',
  'resource.new_appointment',
  'center.notice',
  'password',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** What a new appointment sends at once: the patient's confirmation and the resource's notice. */
export const BOOKING_EVENTS = ['appointment.created', 'resource.new_appointment'] as const satisfies readonly EventKind[];

export const CHANNELS = ['email', 'sms', 'voice'] as const;
export type Channel = (typeof CHANNELS)[number];

export const LOCALES = ['it', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * E1 statuses. `scheduled` rows exist before the due time; `sending` is held by one send attempt;
 * `unknown`: an attempt stopped after the provider call began, so it may have gone out (resolved
 * by asking the provider, or for email by one marked resend; src/messages/).
 */
export const MESSAGE_STATUSES = ['scheduled', 'skipped', 'sending', 'unknown', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Why a message was not sent (E1). */
export const SKIP_REASONS = [
  'master_off',
  'channel_disabled',
  'online_only',
  'privacy',
  'preference',
  'resource_memo_off',
  'service_memo_off',
  'minimum_lead',
  'sending_hours',
  'one_per_day',
  'no_contact',
  'no_credits',
  'opted_out',
  'expired',
  'already_confirmed',
  'not_unreliable',
  'cancelled',
  'superseded',
  /** X7: the patient was erased. */
  'erased',
  /** SMS / voice to a country the platform has not allowed for the center. */
  'destination_country',
  /** SMS / voice beyond the center's daily cap. */
  'daily_cap',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const APPOINTMENT_STATUSES = ['booked', 'confirmed', 'cancelled', 'attended', 'no_show'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

export const CHANNEL_PREFERENCES = ['email', 'sms', 'voice', 'none'] as const;
export type ChannelPreference = (typeof CHANNEL_PREFERENCES)[number];

export const RECIPIENT_KINDS = ['patient', 'resource', 'center'] as const;
export type RecipientKind = (typeof RECIPIENT_KINDS)[number];

export const LEDGER_KINDS = ['debit', 'refund', 'topup'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export const API_KEY_SCOPES = ['booking', 'admin', 'platform'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
