import { z } from 'zod';
import type { Channel, EventKind } from './events.js';

/**
 * Typed options per event kind (SPEC B). Stored as JSON beside the channel toggles of each
 * event setting; parsed with these schemas on read and on write so bad options never land.
 */
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');
/** One sending window of a weekday; `to` before `from` means the window crosses midnight. */
export const sendingWindowSchema = z.strictObject({ from: hhmm, to: hhmm });
export type SendingWindow = z.infer<typeof sendingWindowSchema>;

/** Keys 1..7 = Monday..Sunday (ISO); a missing day means no sending that day. */
// partialRecord: zod 4's record over an enum demands every key, but a missing day is allowed.
export const sendingHoursSchema = z
  .partialRecord(z.enum(['1', '2', '3', '4', '5', '6', '7']), z.array(sendingWindowSchema).max(4))
  .nullable()
  .default(null);
export type SendingHours = z.infer<typeof sendingHoursSchema>;

const minutes = z.number().int().min(0).max(60 * 24 * 60);

export const reminderOptionsSchema = z.strictObject({
  /** B2-rem: how long before the start (minutes; 1 h … 7 days typical). */
  leadMinutes: minutes.min(15).default(24 * 60),
  /** B2-confirm: the reminder asks to confirm or cancel. */
  requestConfirmation: z.boolean().default(false),
  /** B2-min: no reminder when booked less than this many minutes before the start. */
  minimumLeadMinutes: minutes.default(0),
  /** B2-day: at most one reminder per patient per calendar day. */
  onePerDay: z.boolean().default(false),
  /** B2-hours: allowed sending windows in the center's time zone (null = any time). */
  sendingHours: sendingHoursSchema,
});
export type ReminderOptions = z.infer<typeof reminderOptionsSchema>;

export const secondReminderOptionsSchema = z.strictObject({
  /** B2-second: none / all patients / only unreliable ones (no-show ≥ 30 %). */
  policy: z.enum(['none', 'all', 'unreliable']).default('none'),
  leadMinutes: minutes.min(15).default(3 * 60),
});
export type SecondReminderOptions = z.infer<typeof secondReminderOptionsSchema>;

export const notificationOptionsSchema = z.strictObject({
  /** B1: only to patients who booked online. */
  onlineOnly: z.boolean().default(false),
});

export const postVisitOptionsSchema = z.strictObject({
  /** B3: a thank-you or a satisfaction survey. */
  kind: z.enum(['thanks', 'survey']).default('thanks'),
  delayMinutes: minutes.default(2 * 60),
  surveyUrl: z.url().nullable().default(null),
});

export const recallOptionsSchema = z.strictObject({
  /** B2-recall: three predefined intervals (days); one may be the default for new appointments. */
  intervalsDays: z.array(z.number().int().min(1).max(3650)).max(3).default([180, 365, 730]),
  defaultIntervalDays: z.number().int().min(1).max(3650).nullable().default(null),
  /** Offer patients without a password this account set-up page ([SETUP_URL]) in the recall. */
  includeSetupLink: z.boolean().default(false),
  setupUrl: z.url().nullable().default(null),
});

export const resourceReminderOptionsSchema = z.strictObject({
  leadMinutes: minutes.min(15).default(24 * 60),
});

const empty = z.strictObject({});

export const eventOptionSchemas = {
  'appointment.created': notificationOptionsSchema,
  'appointment.modified': notificationOptionsSchema,
  'appointment.cancelled': notificationOptionsSchema,
  'appointment.reminder': reminderOptionsSchema,
  'appointment.second_reminder': secondReminderOptionsSchema,
  'appointment.post_visit': postVisitOptionsSchema,
  recall: recallOptionsSchema,
  'alert.delay': empty,
  'alert.cancellation': empty,
  'resource.reminder': resourceReminderOptionsSchema,
  'resource.new_appointment': empty,
  'center.notice': empty,
  password: empty,
} as const satisfies Record<EventKind, z.ZodType>;

export type EventOptions<K extends EventKind> = z.infer<(typeof eventOptionSchemas)[K]>;

/**
 * Channels enabled by default for a new center: what every clinic expects (confirmations by
 * email, reminders and alerts by email and SMS, notices to admins); optional messages (second
 * reminder, after-visit, resource messages) start off until the center turns them on.
 */
export function defaultChannels(kind: EventKind): Channel[] {
  switch (kind) {
    case 'appointment.reminder':
    case 'alert.delay':
    case 'alert.cancellation':
      return ['email', 'sms'];
    case 'appointment.second_reminder':
    case 'appointment.post_visit':
    case 'resource.reminder':
    case 'resource.new_appointment':
      return [];
    default:
      return ['email'];
  }
}

export function parseEventOptions<K extends EventKind>(kind: K, raw: unknown): EventOptions<K> {
  return eventOptionSchemas[kind].parse(raw ?? {}) as EventOptions<K>;
}
