import type { EventKind, SkipReason } from './events.js';
import type { EventOptions, ReminderOptions, SecondReminderOptions, SendingHours } from './policy.js';
import { addDays, assertInstant, assertTimeZone, localDayKey, localTimeToInstant } from './local-time.js';
import { fitToSendingHours } from './sending-hours.js';

/**
 * When each message of an appointment goes out (SPEC B2, B3, B5, X2). Pure: `now` is always a
 * parameter, so the appointment workflow can re-plan deterministically after every signal.
 *
 * A skip carries `at` = the instant the message was due, for the message summary (E1); the
 * workflow may record it at once.
 */
export type Plan = { kind: 'send'; at: Date } | { kind: 'skip'; reason: SkipReason; at: Date };

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

function assertMinutes(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${field}: must be a whole number of minutes ≥ 0`);
}

function minus(at: Date, minutes: number): Date {
  return new Date(at.getTime() - minutes * MINUTE_MS);
}

function latest(...dates: Date[]): Date {
  return new Date(Math.max(...dates.map((d) => d.getTime())));
}

interface AppointmentTimes {
  startAt: Date;
  /** When the appointment was booked (B2-min compares it with the start). */
  bookedAt: Date;
  now: Date;
}

function assertTimes({ startAt, bookedAt, now }: AppointmentTimes): void {
  assertInstant(startAt, 'startAt');
  assertInstant(bookedAt, 'bookedAt');
  assertInstant(now, 'now');
}

/**
 * Shared by both reminders: B2-min, then "too late" (the appointment started), then B2-hours.
 * A due time already past (booked inside the lead time, or the worker was down) means "now",
 * still inside the sending hours and before the start.
 */
function planBeforeStart(
  times: AppointmentTimes,
  due: Date,
  minimumLeadMinutes: number,
  sendingHours: SendingHours,
  timeZone: string,
): Plan {
  const { startAt, bookedAt, now } = times;
  if (minimumLeadMinutes > 0 && startAt.getTime() - bookedAt.getTime() < minimumLeadMinutes * MINUTE_MS) {
    return { kind: 'skip', reason: 'minimum_lead', at: due };
  }
  if (now.getTime() >= startAt.getTime()) return { kind: 'skip', reason: 'expired', at: due };
  const fit = fitToSendingHours({ due, notBefore: latest(now, bookedAt), deadline: startAt, hours: sendingHours, timeZone });
  return 'at' in fit ? { kind: 'send', at: fit.at } : { kind: 'skip', reason: fit.skip, at: due };
}

export interface PlanReminderInput extends AppointmentTimes {
  timeZone: string;
  options: Pick<ReminderOptions, 'leadMinutes' | 'minimumLeadMinutes' | 'sendingHours'>;
}

/** B2-rem, B2-min, B2-hours: the reminder is due `leadMinutes` before the start. */
export function planReminder(input: PlanReminderInput): Plan {
  assertTimes(input);
  assertTimeZone(input.timeZone);
  const { leadMinutes, minimumLeadMinutes, sendingHours } = input.options;
  assertMinutes(leadMinutes, 'options.leadMinutes');
  assertMinutes(minimumLeadMinutes, 'options.minimumLeadMinutes');
  return planBeforeStart(input, minus(input.startAt, leadMinutes), minimumLeadMinutes, sendingHours, input.timeZone);
}

export interface PlanSecondReminderInput extends AppointmentTimes {
  timeZone: string;
  options: Pick<SecondReminderOptions, 'policy' | 'leadMinutes'>;
  /** The sending hours of the (first) reminder apply to the second one too. */
  sendingHours: SendingHours;
  /** The patient already confirmed (B2-confirm). */
  confirmed: boolean;
  /** From `isUnreliable` (no-show ratio ≥ 30 %). */
  unreliable: boolean;
  /** The reminder's B2-min threshold; no second reminder either when booked too late. */
  minimumLeadMinutes?: number;
}

/** B2-second: null when the center does not send second reminders at all. */
export function planSecondReminder(input: PlanSecondReminderInput): Plan | null {
  assertTimes(input);
  assertTimeZone(input.timeZone);
  const { policy, leadMinutes } = input.options;
  if (policy === 'none') return null;
  assertMinutes(leadMinutes, 'options.leadMinutes');
  const minimumLeadMinutes = input.minimumLeadMinutes ?? 0;
  assertMinutes(minimumLeadMinutes, 'minimumLeadMinutes');
  const due = minus(input.startAt, leadMinutes);
  if (input.confirmed) return { kind: 'skip', reason: 'already_confirmed', at: due };
  if (policy === 'unreliable' && !input.unreliable) return { kind: 'skip', reason: 'not_unreliable', at: due };
  return planBeforeStart(input, due, minimumLeadMinutes, input.sendingHours, input.timeZone);
}

export interface PlanPostVisitInput {
  endAt: Date;
  options: Pick<EventOptions<'appointment.post_visit'>, 'delayMinutes'>;
}

/**
 * B3: thank-you / survey `delayMinutes` after the end. Whether it goes at all (never for
 * cancelled or no-show appointments) is the workflow's call; late sends go through `catchUp`.
 */
export function planPostVisit({ endAt, options }: PlanPostVisitInput): Plan {
  assertInstant(endAt, 'endAt');
  assertMinutes(options.delayMinutes, 'options.delayMinutes');
  return { kind: 'send', at: new Date(endAt.getTime() + options.delayMinutes * MINUTE_MS) };
}

export interface PlanResourceReminderInput extends AppointmentTimes {
  options: Pick<EventOptions<'resource.reminder'>, 'leadMinutes'>;
}

/** B5: the resource's reminder, `leadMinutes` before the start; staff get it at any hour. */
export function planResourceReminder(input: PlanResourceReminderInput): Plan {
  assertTimes(input);
  assertMinutes(input.options.leadMinutes, 'options.leadMinutes');
  const due = minus(input.startAt, input.options.leadMinutes);
  if (input.now.getTime() >= input.startAt.getTime()) return { kind: 'skip', reason: 'expired', at: due };
  return { kind: 'send', at: latest(due, input.now, input.bookedAt) };
}

/** B2-recall: the appointment's manual interval beats the service's, which beats the center default. */
export function recallIntervalDays(input: {
  manualDays: number | null;
  serviceDays: number | null;
  centerDefaultDays: number | null;
}): number | null {
  for (const [field, days] of [
    ['manualDays', input.manualDays],
    ['serviceDays', input.serviceDays],
    ['centerDefaultDays', input.centerDefaultDays],
  ] as const) {
    if (days === null) continue;
    if (!Number.isInteger(days) || days < 1) throw new RangeError(`${field}: must be a whole number of days ≥ 1`);
    return days;
  }
  return null;
}

/** The local hour at which recalls go out (a civil time of day, never at night). */
export const RECALL_LOCAL_TIME = '10:00';

/** B2-recall: 10:00 local time, `intervalDays` calendar days after the day of the last visit. */
export function recallDueAt(input: { lastEndAt: Date; intervalDays: number; timeZone: string }): Date {
  assertInstant(input.lastEndAt, 'lastEndAt');
  assertTimeZone(input.timeZone);
  if (!Number.isInteger(input.intervalDays) || input.intervalDays < 1) {
    throw new RangeError('intervalDays: must be a whole number of days ≥ 1');
  }
  const day = addDays(localDayKey(input.lastEndAt, input.timeZone), input.intervalDays);
  return localTimeToInstant(day, RECALL_LOCAL_TIME, input.timeZone);
}

/** X2: how long after its due time a late message is still worth sending. */
export const POST_VISIT_USEFUL_MS = 3 * DAY_MS;
export const RECALL_USEFUL_MS = 30 * DAY_MS;

const USEFUL_UNTIL_START: ReadonlySet<EventKind> = new Set<EventKind>([
  'appointment.created',
  'appointment.modified',
  'appointment.cancelled',
  'appointment.reminder',
  'appointment.second_reminder',
  'alert.delay',
  'alert.cancellation',
  'resource.reminder',
  'resource.new_appointment',
]);

export interface UsefulnessInput {
  eventKind: EventKind;
  dueAt: Date;
  now: Date;
  /** The appointment start; required for appointment, alert and resource messages. */
  startAt?: Date | null;
}

/**
 * X2 late-not-lost: is a message still worth sending at `now`? Appointment-bound messages only
 * before the start; a post-visit message up to 3 days after its due time, a recall up to 30;
 * center notices and password messages always.
 */
export function isStillUseful(input: UsefulnessInput): boolean {
  const { eventKind, dueAt, now } = input;
  assertInstant(dueAt, 'dueAt');
  assertInstant(now, 'now');
  if (USEFUL_UNTIL_START.has(eventKind)) {
    if (!input.startAt) throw new RangeError(`startAt: required for ${eventKind}`);
    assertInstant(input.startAt, 'startAt');
    return now.getTime() < input.startAt.getTime();
  }
  switch (eventKind) {
    case 'appointment.post_visit':
      return now.getTime() <= dueAt.getTime() + POST_VISIT_USEFUL_MS;
    case 'recall':
      return now.getTime() <= dueAt.getTime() + RECALL_USEFUL_MS;
    default:
      return true;
  }
}

/** X2: a future due time stays; an overdue but useful message goes now; else skip 'expired'. */
export function catchUp(input: UsefulnessInput): Plan {
  assertInstant(input.dueAt, 'dueAt');
  assertInstant(input.now, 'now');
  if (input.dueAt.getTime() > input.now.getTime()) return { kind: 'send', at: input.dueAt };
  return isStillUseful(input) ? { kind: 'send', at: input.now } : { kind: 'skip', reason: 'expired', at: input.dueAt };
}
