import type { SendingHours } from './policy.js';
import { addDays, assertInstant, assertTimeZone, dayKeyWeekday, localDayKey, localTimeToInstant, type DayKey } from './local-time.js';

/**
 * B2-hours: reminders go out only inside the center's sending windows (its time zone).
 *
 * Windows are half-open, `[from, to)` in wall-clock time of their weekday: `to` before `from`
 * runs past midnight into the next day, `to` equal to `from` means a full 24 hours. A weekday
 * missing from `hours` has no window of its own (a window of the day before may still run into
 * it). `null` hours allow any time. Windows are turned into real instants per day, so DST days
 * are right: on the night the clock jumps forward a window opening in the skipped hour opens
 * at the jump; when the clock goes back a window ends at the later of the two repeated times.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** A weekly pattern repeats, so a week and a day either side of the due time is enough. */
const SEARCH_MS = 8 * DAY_MS;

export interface FitToSendingHoursInput {
  /** When the message would ideally go out. */
  due: Date;
  /** Nothing may be sent before this (now, or the booking time). */
  notBefore: Date;
  /** Everything must be sent before this (the appointment start); exclusive. */
  deadline: Date;
  hours: SendingHours;
  timeZone: string;
}

export type FitToSendingHoursResult = { at: Date } | { skip: 'sending_hours' };

/** An allowed period as epoch milliseconds, `[start, end)`. */
interface Span {
  start: number;
  end: number;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const WEEKDAYS = new Set(['1', '2', '3', '4', '5', '6', '7']);

/**
 * The shape of policy.ts `sendingHoursSchema`, checked by hand: this module runs inside every
 * workflow, where building zod schemas per workflow was the hottest code in the worker profile.
 */
function validHours(hours: SendingHours): SendingHours {
  if (hours === null) return null;
  if (typeof hours !== 'object' || Array.isArray(hours)) throw new RangeError('hours: must be weekdays with their windows, or null');
  for (const [day, windows] of Object.entries(hours)) {
    if (!WEEKDAYS.has(day)) throw new RangeError(`hours.${day}: not a weekday (1 = Monday … 7 = Sunday)`);
    if (!Array.isArray(windows) || windows.length > 4) throw new RangeError(`hours.${day}: must be a list of at most 4 windows`);
    windows.forEach((window: unknown, i) => {
      for (const field of ['from', 'to'] as const) {
        const value = typeof window === 'object' && window !== null ? (window as Record<string, unknown>)[field] : undefined;
        if (typeof value !== 'string' || !HHMM.test(value)) throw new RangeError(`hours.${day}.${i}.${field}: must be HH:MM`);
      }
      if (Object.keys(window as object).length !== 2) throw new RangeError(`hours.${day}.${i}: only from and to`);
    });
  }
  return hours;
}

/** The sending windows that open on local days `firstDay`…`lastDay`, merged where they touch. */
function windowSpans(hours: NonNullable<SendingHours>, timeZone: string, firstDay: DayKey, lastDay: DayKey): Span[] {
  const spans: Span[] = [];
  for (let day = firstDay; day <= lastDay; day = addDays(day, 1)) {
    const windows = hours[String(dayKeyWeekday(day)) as keyof typeof hours] ?? [];
    for (const { from, to } of windows) {
      const start = localTimeToInstant(day, from, timeZone, 'earlier').getTime();
      const endDay = to > from ? day : addDays(day, 1);
      const end = localTimeToInstant(endDay, to, timeZone, 'later').getTime();
      if (end > start) spans.push({ start, end });
    }
  }
  spans.sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/** The allowed periods intersected with `[lo, hi)`. */
function allowedSpans(hours: SendingHours, timeZone: string, lo: number, hi: number): Span[] {
  if (hi <= lo) return [];
  if (hours === null) return [{ start: lo, end: hi }];
  // Start a day early: a window opened the evening before may run past midnight into `lo`.
  const firstDay = addDays(localDayKey(new Date(lo), timeZone), -1);
  const lastDay = localDayKey(new Date(hi), timeZone);
  return windowSpans(hours, timeZone, firstDay, lastDay)
    .map((s) => ({ start: Math.max(s.start, lo), end: Math.min(s.end, hi) }))
    .filter((s) => s.end > s.start);
}

/** True when `at` falls inside a sending window (always true for `null` hours). */
export function isInsideSendingHours(at: Date, hours: SendingHours, timeZone: string): boolean {
  assertInstant(at, 'at');
  assertTimeZone(timeZone);
  const t = at.getTime();
  return allowedSpans(validHours(hours), timeZone, t, t + 1).length > 0;
}

/**
 * Moves `due` to the nearest allowed instant in `[notBefore, deadline)`: `due` itself when it is
 * allowed, else the start of the next window or the last minute of the previous one, whichever
 * is nearer to `due` (the earlier on a tie). No allowed instant → skip 'sending_hours'.
 */
export function fitToSendingHours(input: FitToSendingHoursInput): FitToSendingHoursResult {
  const { due, notBefore, deadline, timeZone } = input;
  assertInstant(due, 'due');
  assertInstant(notBefore, 'notBefore');
  assertInstant(deadline, 'deadline');
  assertTimeZone(timeZone);
  const hours = validHours(input.hours);

  const t = due.getTime();
  // Look one day either side first: any instant found there is nearer than anything beyond,
  // so the wider week-long search only runs when those days have no window at all.
  for (const reach of [DAY_MS, SEARCH_MS]) {
    const found = nearestAllowed(t, hours, timeZone, notBefore.getTime(), deadline.getTime(), reach);
    if (found !== null) return { at: new Date(found) };
  }
  return { skip: 'sending_hours' };
}

/** The allowed instant nearest to `t` within `reach` of it (and of notBefore), or null. */
function nearestAllowed(t: number, hours: SendingHours, timeZone: string, notBefore: number, deadline: number, reach: number): number | null {
  const lo = Math.max(notBefore, t - reach);
  const hi = Math.min(deadline, Math.max(t, notBefore) + reach);
  let best: number | null = null;
  for (const span of allowedSpans(hours, timeZone, lo, hi)) {
    if (t >= span.start && t < span.end) return t;
    // Before a window: its start; after one: its last allowed minute.
    const candidate = t < span.start ? span.start : Math.max(span.start, span.end - MINUTE_MS);
    const d = Math.abs(candidate - t);
    if (best === null || d < Math.abs(best - t) || (d === Math.abs(best - t) && candidate < best)) best = candidate;
  }
  return best;
}
