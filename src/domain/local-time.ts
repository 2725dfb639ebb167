import { IANAZone } from 'luxon';

/**
 * Wall-clock helpers in a center's IANA time zone. Pure (no clock reads): every instant comes
 * in as a parameter, so Temporal workflow code can import this module.
 */

/** A local calendar day, `yyyy-mm-dd`. */
export type DayKey = string;
/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const DAY_KEY = /^(\d{4})-(\d{2})-(\d{2})$/;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Throws a RangeError naming `field` unless `timeZone` is a known IANA zone. */
export function assertTimeZone(timeZone: string, field = 'timeZone'): void {
  // IANAZone.create is cached by luxon, so validity is checked once per zone name.
  if (typeof timeZone !== 'string' || timeZone === '' || !IANAZone.create(timeZone).isValid) {
    throw new RangeError(`${field}: not an IANA time zone: ${JSON.stringify(timeZone)}`);
  }
}

/** Throws a RangeError naming `field` unless `value` is a valid Date. */
export function assertInstant(value: Date, field: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new RangeError(`${field}: not a valid date`);
  }
}

// Calendar arithmetic runs on plain UTC dates: a day key has no zone, and this is much
// cheaper than building luxon DateTimes in hot planning loops.
function parseDayKey(day: DayKey, field: string): { year: number; month: number; day: number } {
  const m = typeof day === 'string' ? DAY_KEY.exec(day) : null;
  const [year, month, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [NaN, NaN, NaN];
  const check = new Date(Date.UTC(year, month - 1, d));
  if (!m || check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== d) {
    throw new RangeError(`${field}: not a yyyy-mm-dd date: ${JSON.stringify(day)}`);
  }
  return { year, month, day: d };
}

function formatUtcDay(ms: number): DayKey {
  return new Date(ms).toISOString().slice(0, 10);
}

function isoWeekdayOfUtc(ms: number): IsoWeekday {
  return (((new Date(ms).getUTCDay() + 6) % 7) + 1) as IsoWeekday;
}

function parseHhmm(time: string, field: string): { hour: number; minute: number } {
  const m = typeof time === 'string' ? HHMM.exec(time) : null;
  if (!m) throw new RangeError(`${field}: must be HH:MM, got ${JSON.stringify(time)}`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** The wall-clock time of `at` in `timeZone`, as epoch ms read as if it were UTC. */
function wallClockMs(at: Date, timeZone: string): number {
  return at.getTime() + IANAZone.create(timeZone).offset(at.getTime()) * MINUTE_MS;
}

/** The local day (`yyyy-mm-dd`) of an instant in `timeZone`. */
export function localDayKey(at: Date, timeZone: string): DayKey {
  assertInstant(at, 'at');
  assertTimeZone(timeZone);
  return formatUtcDay(wallClockMs(at, timeZone));
}

/** The ISO weekday (1 = Monday … 7 = Sunday) of an instant in `timeZone`. */
export function localWeekday(at: Date, timeZone: string): IsoWeekday {
  assertInstant(at, 'at');
  assertTimeZone(timeZone);
  return isoWeekdayOfUtc(wallClockMs(at, timeZone));
}

/** The ISO weekday of a calendar day (the same in every zone). */
export function dayKeyWeekday(day: DayKey): IsoWeekday {
  const { year, month, day: d } = parseDayKey(day, 'day');
  return isoWeekdayOfUtc(Date.UTC(year, month - 1, d));
}

/** Calendar arithmetic on day keys (no time zone involved). */
export function addDays(day: DayKey, days: number): DayKey {
  const { year, month, day: d } = parseDayKey(day, 'day');
  if (!Number.isInteger(days)) throw new RangeError('days: must be an integer');
  return formatUtcDay(Date.UTC(year, month - 1, d + days));
}

/**
 * The instant at which the wall clock of `timeZone` shows `time` (HH:MM) on `day`.
 * - Times that occur twice (the repeated hour when clocks go back) resolve to the earlier
 *   occurrence, or the later one with `prefer: 'later'` (useful for the end of a window).
 * - Times that do not exist (the skipped hour when clocks go forward) resolve to the first
 *   instant after the gap: a window "from 02:30" on that night opens when the clock jumps.
 */
export function localTimeToInstant(day: DayKey, time: string, timeZone: string, prefer: 'earlier' | 'later' = 'earlier'): Date {
  const { year, month, day: d } = parseDayKey(day, 'day');
  const { hour, minute } = parseHhmm(time, 'time');
  assertTimeZone(timeZone);
  const zone = IANAZone.create(timeZone);
  // Wall-clock time read as if it were UTC; the real instant is this minus the zone offset.
  const naive = Date.UTC(year, month - 1, d, hour, minute);
  const before = zone.offset(naive - DAY_MS);
  const after = zone.offset(naive + DAY_MS);
  const valid = [...new Set([before, after])]
    .map((offset) => naive - offset * MINUTE_MS)
    .filter((candidate) => naive - zone.offset(candidate) * MINUTE_MS === candidate)
    .sort((a, b) => a - b);
  const chosen = prefer === 'earlier' ? valid[0] : valid[valid.length - 1];
  if (chosen !== undefined) return new Date(chosen);
  // In a gap: binary-search the transition between the instant read with the new offset
  // (still before the jump) and the one read with the old offset (already after it).
  let lo = naive - after * MINUTE_MS;
  let hi = naive - before * MINUTE_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === after) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** The first instant of a local day (midnight, or the end of a gap if midnight is skipped). */
export function startOfLocalDay(day: DayKey, timeZone: string): Date {
  return localTimeToInstant(day, '00:00', timeZone);
}

/** The exclusive end of a local day: the first instant of the next one (23 or 25 h on DST days). */
export function endOfLocalDay(day: DayKey, timeZone: string): Date {
  return startOfLocalDay(addDays(day, 1), timeZone);
}
