import { IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { SendingHours } from '../../src/domain/policy.js';
import { fitToSendingHours, isInsideSendingHours } from '../../src/domain/sending-hours.js';
import {
  addDays,
  dayKeyWeekday,
  endOfLocalDay,
  localDayKey,
  localTimeToInstant,
  localWeekday,
  startOfLocalDay,
} from '../../src/domain/local-time.js';

const ROME = 'Europe/Rome';
const d = (iso: string) => new Date(iso);
const FAR_PAST = d('2020-01-01T00:00:00Z');
const FAR_FUTURE = d('2030-01-01T00:00:00Z');

/** Office hours: Monday–Friday 08:00–20:00, Saturday 09:00–13:00, nothing on Sunday. */
const OFFICE: SendingHours = {
  '1': [{ from: '08:00', to: '20:00' }],
  '2': [{ from: '08:00', to: '20:00' }],
  '3': [{ from: '08:00', to: '20:00' }],
  '4': [{ from: '08:00', to: '20:00' }],
  '5': [{ from: '08:00', to: '20:00' }],
  '6': [{ from: '09:00', to: '13:00' }],
};

function fit(due: string, hours: SendingHours, opts: { notBefore?: string; deadline?: string; timeZone?: string } = {}) {
  const result = fitToSendingHours({
    due: d(due),
    notBefore: opts.notBefore ? d(opts.notBefore) : FAR_PAST,
    deadline: opts.deadline ? d(opts.deadline) : FAR_FUTURE,
    hours,
    timeZone: opts.timeZone ?? ROME,
  });
  return 'at' in result ? result.at.toISOString() : result.skip;
}

describe('B2-hours: local time helpers (center time zone)', () => {
  it('B2-hours: the local day of an instant depends on the zone', () => {
    expect(localDayKey(d('2026-03-28T23:30:00Z'), ROME)).toBe('2026-03-29');
    expect(localDayKey(d('2026-03-28T23:30:00Z'), 'UTC')).toBe('2026-03-28');
    expect(localDayKey(d('2026-06-01T03:00:00Z'), 'America/New_York')).toBe('2026-05-31');
  });

  it('B2-hours: ISO weekday 1..7 in the zone', () => {
    expect(localWeekday(d('2026-03-29T10:00:00+02:00'), ROME)).toBe(7);
    expect(localWeekday(d('2026-03-29T22:30:00Z'), ROME)).toBe(1); // 00:30 Monday in Rome
    expect(dayKeyWeekday('2026-03-30')).toBe(1);
    expect(dayKeyWeekday('2026-10-25')).toBe(7);
  });

  it('B2-hours: the DST days of Europe/Rome last 23 and 25 hours', () => {
    expect(startOfLocalDay('2026-03-29', ROME).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(endOfLocalDay('2026-03-29', ROME).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(endOfLocalDay('2026-10-25', ROME).getTime() - startOfLocalDay('2026-10-25', ROME).getTime()).toBe(25 * 3600_000);
    expect(endOfLocalDay('2026-06-01', ROME).getTime() - startOfLocalDay('2026-06-01', ROME).getTime()).toBe(24 * 3600_000);
  });

  it('B2-hours: a skipped wall time (spring forward) resolves to the moment the clock jumps', () => {
    expect(localTimeToInstant('2026-03-29', '02:30', ROME).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(localTimeToInstant('2026-03-29', '01:59', ROME).toISOString()).toBe('2026-03-29T00:59:00.000Z');
    expect(localTimeToInstant('2026-03-29', '03:00', ROME).toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('B2-hours: a repeated wall time (fall back) resolves to the earlier or, on request, the later occurrence', () => {
    expect(localTimeToInstant('2026-10-25', '02:30', ROME).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(localTimeToInstant('2026-10-25', '02:30', ROME, 'later').toISOString()).toBe('2026-10-25T01:30:00.000Z');
    expect(localTimeToInstant('2026-10-25', '03:00', ROME, 'later').toISOString()).toBe('2026-10-25T02:00:00.000Z');
  });

  it('B2-hours: midnight skipped by DST (America/Santiago) starts the day at 01:00', () => {
    expect(startOfLocalDay('2026-09-06', 'America/Santiago').toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });

  it('B2-hours: calendar arithmetic across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-03-28', 365)).toBe('2027-03-28');
  });

  it('B2-hours: bad input names the field', () => {
    expect(() => localDayKey(d('nope'), ROME)).toThrow(/at/);
    expect(() => localDayKey(d('2026-01-01T00:00:00Z'), 'Mars/Olympus')).toThrow(/timeZone/);
    expect(() => addDays('2026-02-30', 1)).toThrow(/day/);
    expect(() => localTimeToInstant('2026-02-01', '24:00', ROME)).toThrow(/time/);
  });
});

describe('B2-hours: fitToSendingHours on ordinary days', () => {
  it('B2-hours: a due time inside a window stays where it is', () => {
    expect(fit('2026-06-01T10:17:00+02:00', OFFICE)).toBe('2026-06-01T08:17:00.000Z');
  });

  it('B2-hours: the window start is inside, the window end is not', () => {
    expect(fit('2026-06-01T08:00:00+02:00', OFFICE)).toBe('2026-06-01T06:00:00.000Z');
    // 20:00 is one minute past the last allowed minute 19:59, far from 08:00 tomorrow.
    expect(fit('2026-06-01T20:00:00+02:00', OFFICE)).toBe('2026-06-01T17:59:00.000Z');
  });

  it('B2-hours: shortly before opening moves forward to the opening', () => {
    expect(fit('2026-06-02T07:50:00+02:00', OFFICE)).toBe('2026-06-02T06:00:00.000Z');
  });

  it('B2-hours: shortly after closing moves back to the last allowed minute', () => {
    expect(fit('2026-06-01T20:30:00+02:00', OFFICE)).toBe('2026-06-01T17:59:00.000Z');
  });

  it('B2-hours: in the middle of the night the nearer side wins', () => {
    // Monday 23:00: 19:59 is 3 h 01 m back, Tuesday 08:00 is 9 h ahead.
    expect(fit('2026-06-01T23:00:00+02:00', OFFICE)).toBe('2026-06-01T17:59:00.000Z');
    // Tuesday 03:00: 19:59 is 7 h 01 m back, 08:00 is 5 h ahead.
    expect(fit('2026-06-02T03:00:00+02:00', OFFICE)).toBe('2026-06-02T06:00:00.000Z');
  });

  it('B2-hours: on a tie the earlier instant wins', () => {
    const split: SendingHours = { '1': [{ from: '08:00', to: '12:00' }, { from: '14:00', to: '18:00' }] };
    // 12:59:30 is 60.5 min after 11:59 and 60.5 min before 14:00.
    expect(fit('2026-06-01T12:59:30+02:00', split)).toBe('2026-06-01T09:59:00.000Z');
    expect(fit('2026-06-01T13:00:00+02:00', split)).toBe('2026-06-01T12:00:00.000Z');
  });

  it('B2-hours: a due time on a weekday without windows moves to the nearest other day', () => {
    // Sunday 2026-06-07 10:00: Saturday 12:59 is 21 h 01 m back, Monday 08:00 is 22 h ahead.
    expect(fit('2026-06-07T10:00:00+02:00', OFFICE)).toBe('2026-06-06T10:59:00.000Z');
    // Sunday 18:00: Monday 08:00 (14 h) is nearer than Saturday 12:59 (29 h).
    expect(fit('2026-06-07T18:00:00+02:00', OFFICE)).toBe('2026-06-08T06:00:00.000Z');
  });

  it('B2-hours: the previous window is not allowed before notBefore (booked late)', () => {
    expect(fit('2026-06-01T21:00:00+02:00', OFFICE, { notBefore: '2026-06-01T20:30:00+02:00' })).toBe('2026-06-02T06:00:00.000Z');
  });

  it('B2-hours: a due time before notBefore goes at the first allowed instant from notBefore', () => {
    expect(fit('2026-06-01T09:00:00+02:00', OFFICE, { notBefore: '2026-06-01T15:42:00+02:00' })).toBe('2026-06-01T13:42:00.000Z');
    expect(fit('2026-06-01T09:00:00+02:00', OFFICE, { notBefore: '2026-06-01T21:00:00+02:00' })).toBe('2026-06-02T06:00:00.000Z');
  });

  it('B2-hours: the next window is not allowed at or after the appointment start', () => {
    // The appointment is Tuesday 08:00 sharp: only 19:59 Monday remains.
    expect(fit('2026-06-01T23:30:00+02:00', OFFICE, { deadline: '2026-06-02T08:00:00+02:00' })).toBe('2026-06-01T17:59:00.000Z');
    expect(fit('2026-06-02T07:30:00+02:00', OFFICE, { deadline: '2026-06-02T08:00:00+02:00' })).toBe('2026-06-01T17:59:00.000Z');
  });

  it('B2-hours: no allowed instant before the appointment → skipped for sending hours', () => {
    expect(
      fit('2026-06-01T21:00:00+02:00', OFFICE, { notBefore: '2026-06-01T20:30:00+02:00', deadline: '2026-06-02T07:30:00+02:00' }),
    ).toBe('sending_hours');
    expect(fit('2026-06-07T10:00:00+02:00', OFFICE, { notBefore: '2026-06-07T09:00:00+02:00', deadline: '2026-06-08T08:00:00+02:00' })).toBe(
      'sending_hours',
    );
  });

  it('B2-hours: a window cut by the appointment start offers its last minute before the start', () => {
    expect(fit('2026-06-01T20:30:00+02:00', OFFICE, { notBefore: '2026-06-01T17:00:00+02:00', deadline: '2026-06-01T18:00:00+02:00' })).toBe(
      '2026-06-01T15:59:00.000Z',
    );
  });

  it('B2-hours: no windows at all means never', () => {
    expect(fit('2026-06-01T10:00:00+02:00', {})).toBe('sending_hours');
  });

  it('B2-hours: null hours allow any time, still between notBefore and the start', () => {
    expect(fit('2026-06-01T03:00:00+02:00', null)).toBe('2026-06-01T01:00:00.000Z');
    expect(fit('2026-06-01T03:00:00+02:00', null, { notBefore: '2026-06-01T05:00:00+02:00' })).toBe('2026-06-01T03:00:00.000Z');
    expect(fit('2026-06-01T03:00:00+02:00', null, { notBefore: '2026-06-01T02:00:00+02:00', deadline: '2026-06-01T03:00:00+02:00' })).toBe(
      '2026-06-01T00:59:00.000Z',
    );
    expect(fit('2026-06-01T03:00:00+02:00', null, { notBefore: '2026-06-01T04:00:00+02:00', deadline: '2026-06-01T04:00:00+02:00' })).toBe(
      'sending_hours',
    );
  });

  it('B2-hours: overlapping windows act as one', () => {
    const overlapping: SendingHours = { '1': [{ from: '08:00', to: '12:00' }, { from: '10:00', to: '18:00' }] };
    expect(fit('2026-06-01T11:59:00+02:00', overlapping)).toBe('2026-06-01T09:59:00.000Z');
    expect(fit('2026-06-01T12:30:00+02:00', overlapping)).toBe('2026-06-01T10:30:00.000Z');
    expect(fit('2026-06-01T18:30:00+02:00', overlapping)).toBe('2026-06-01T15:59:00.000Z');
  });

  it('B2-hours: the same rules in another time zone', () => {
    const ny: SendingHours = { '1': [{ from: '09:00', to: '17:00' }] };
    expect(fit('2026-06-01T08:00:00-04:00', ny, { timeZone: 'America/New_York' })).toBe('2026-06-01T13:00:00.000Z');
    expect(fit('2026-06-01T16:30:00-04:00', ny, { timeZone: 'America/New_York' })).toBe('2026-06-01T20:30:00.000Z');
  });
});

describe('B2-hours: windows across midnight', () => {
  /** Friday 22:00 → Saturday 02:00 only. */
  const NIGHT: SendingHours = { '5': [{ from: '22:00', to: '02:00' }] };

  it('B2-hours: the early hours of the next day belong to the window, even on a day without windows', () => {
    expect(fit('2026-06-06T01:00:00+02:00', NIGHT)).toBe('2026-06-05T23:00:00.000Z');
    expect(isInsideSendingHours(d('2026-06-06T01:59:00+02:00'), NIGHT, ROME)).toBe(true);
    expect(isInsideSendingHours(d('2026-06-06T02:00:00+02:00'), NIGHT, ROME)).toBe(false);
    expect(isInsideSendingHours(d('2026-06-05T21:59:00+02:00'), NIGHT, ROME)).toBe(false);
  });

  it('B2-hours: after the window ends past midnight, back to its last minute on the next day', () => {
    expect(fit('2026-06-06T03:00:00+02:00', NIGHT)).toBe('2026-06-05T23:59:00.000Z');
  });

  it('B2-hours: before the evening opening, forward to it', () => {
    expect(fit('2026-06-05T21:00:00+02:00', NIGHT)).toBe('2026-06-05T20:00:00.000Z');
    // Thursday 23:00: Friday 22:00 (23 h) beats last Saturday 01:59 (5 days).
    expect(fit('2026-06-04T23:00:00+02:00', NIGHT)).toBe('2026-06-05T20:00:00.000Z');
  });

  it('B2-hours: a window ending at 00:00 runs until midnight', () => {
    const late: SendingHours = { '1': [{ from: '08:00', to: '00:00' }] };
    expect(isInsideSendingHours(d('2026-06-01T23:59:00+02:00'), late, ROME)).toBe(true);
    expect(isInsideSendingHours(d('2026-06-02T00:00:00+02:00'), late, ROME)).toBe(false);
  });

  it('B2-hours: from equal to to means 24 hours from that time', () => {
    const wednesday: SendingHours = { '3': [{ from: '00:00', to: '00:00' }] };
    expect(isInsideSendingHours(d('2026-06-03T00:00:00+02:00'), wednesday, ROME)).toBe(true);
    expect(isInsideSendingHours(d('2026-06-03T23:59:59+02:00'), wednesday, ROME)).toBe(true);
    expect(fit('2026-06-04T00:30:00+02:00', wednesday)).toBe('2026-06-03T21:59:00.000Z');
  });

  it('B2-hours: a Sunday window running into Monday', () => {
    const sundayNight: SendingHours = { '7': [{ from: '20:00', to: '06:00' }] };
    expect(fit('2026-06-08T05:00:00+02:00', sundayNight)).toBe('2026-06-08T03:00:00.000Z');
    expect(fit('2026-06-08T07:00:00+02:00', sundayNight)).toBe('2026-06-08T03:59:00.000Z');
  });
});

describe('B2-hours: Europe/Rome DST week of 2026-03-29 (clocks forward 02:00 → 03:00)', () => {
  const EVERY_DAY: SendingHours = Object.fromEntries(
    (['1', '2', '3', '4', '5', '6', '7'] as const).map((k) => [k, [{ from: '08:00', to: '20:00' }]]),
  );

  it('B2-hours: on Sunday 08:00 is 06:00 UTC, on Saturday it was 07:00 UTC', () => {
    expect(fit('2026-03-29T06:30:00Z', EVERY_DAY)).toBe('2026-03-29T06:30:00.000Z'); // 08:30 CEST: inside
    expect(fit('2026-03-29T05:30:00Z', EVERY_DAY)).toBe('2026-03-29T06:00:00.000Z'); // 07:30 CEST: to 08:00
    expect(fit('2026-03-28T06:30:00Z', EVERY_DAY)).toBe('2026-03-28T07:00:00.000Z'); // 07:30 CET: to 08:00
  });

  it('B2-hours: the evening close follows the new offset', () => {
    expect(fit('2026-03-28T19:30:00Z', EVERY_DAY)).toBe('2026-03-28T18:59:00.000Z'); // Sat 20:30 CET
    expect(fit('2026-03-29T18:30:00Z', EVERY_DAY)).toBe('2026-03-29T17:59:00.000Z'); // Sun 20:30 CEST
    expect(isInsideSendingHours(d('2026-03-29T18:30:00Z'), EVERY_DAY, ROME)).toBe(false);
    expect(isInsideSendingHours(d('2026-03-28T18:30:00Z'), EVERY_DAY, ROME)).toBe(true); // Sat 19:30 CET
  });

  it('B2-hours: a window crossing the DST night ends when the clock shows its end', () => {
    const night: SendingHours = { '6': [{ from: '22:00', to: '03:00' }] };
    // Saturday 22:00 CET (21:00Z) to Sunday 03:00 CEST (01:00Z): three real hours.
    expect(isInsideSendingHours(d('2026-03-29T00:30:00Z'), night, ROME)).toBe(true);
    expect(isInsideSendingHours(d('2026-03-29T01:00:00Z'), night, ROME)).toBe(false);
    expect(fit('2026-03-29T01:30:00Z', night)).toBe('2026-03-29T00:59:00.000Z');
  });

  it('B2-hours: a window ending inside the skipped hour ends at the jump', () => {
    const night: SendingHours = { '6': [{ from: '23:00', to: '02:30' }] };
    expect(isInsideSendingHours(d('2026-03-29T00:59:00Z'), night, ROME)).toBe(true);
    expect(fit('2026-03-29T02:00:00Z', night)).toBe('2026-03-29T00:59:00.000Z');
  });

  it('B2-hours: a window opening inside the skipped hour opens at the jump', () => {
    const early: SendingHours = { '7': [{ from: '02:30', to: '06:00' }] };
    expect(fit('2026-03-29T00:45:00Z', early)).toBe('2026-03-29T01:00:00.000Z'); // 01:45 CET
    expect(isInsideSendingHours(d('2026-03-29T01:00:00Z'), early, ROME)).toBe(true);
    expect(isInsideSendingHours(d('2026-03-29T03:59:00Z'), early, ROME)).toBe(true); // 05:59 CEST
    expect(isInsideSendingHours(d('2026-03-29T04:00:00Z'), early, ROME)).toBe(false);
  });
});

describe('B2-hours: Europe/Rome DST week of 2026-10-25 (clocks back 03:00 → 02:00)', () => {
  it('B2-hours: on Sunday 08:00 is 07:00 UTC, on Saturday it was 06:00 UTC', () => {
    const weekend: SendingHours = { '6': [{ from: '08:00', to: '20:00' }], '7': [{ from: '08:00', to: '20:00' }] };
    expect(fit('2026-10-24T06:30:00Z', weekend)).toBe('2026-10-24T06:30:00.000Z'); // Sat 08:30 CEST
    expect(fit('2026-10-25T06:30:00Z', weekend)).toBe('2026-10-25T07:00:00.000Z'); // Sun 07:30 CET
    expect(fit('2026-10-25T19:30:00Z', weekend)).toBe('2026-10-25T18:59:00.000Z'); // Sun 20:30 CET
  });

  it('B2-hours: a window ending in the repeated hour covers both passes of the clock', () => {
    const night: SendingHours = { '7': [{ from: '01:00', to: '02:30' }] };
    expect(isInsideSendingHours(d('2026-10-24T23:00:00Z'), night, ROME)).toBe(true); // 01:00 CEST
    expect(isInsideSendingHours(d('2026-10-25T00:45:00Z'), night, ROME)).toBe(true); // 02:45 CEST
    expect(isInsideSendingHours(d('2026-10-25T01:15:00Z'), night, ROME)).toBe(true); // 02:15 CET
    expect(isInsideSendingHours(d('2026-10-25T01:30:00Z'), night, ROME)).toBe(false); // 02:30 CET
  });

  it('B2-hours: a window across the long night lasts one hour more in real time', () => {
    const night: SendingHours = { '6': [{ from: '22:00', to: '06:00' }] };
    // Saturday 22:00 CEST (20:00Z) to Sunday 06:00 CET (05:00Z).
    expect(isInsideSendingHours(d('2026-10-24T20:00:00Z'), night, ROME)).toBe(true);
    expect(isInsideSendingHours(d('2026-10-25T04:59:00Z'), night, ROME)).toBe(true);
    expect(fit('2026-10-25T06:00:00Z', night)).toBe('2026-10-25T04:59:00.000Z');
  });
});

describe('B2-hours: invalid input is refused with the field name', () => {
  it('B2-hours: a malformed window names its place', () => {
    const bad = { '1': [{ from: '8:00', to: '20:00' }] } as unknown as SendingHours;
    expect(() => fit('2026-06-01T10:00:00Z', bad)).toThrow(/hours\.1\.0\.from/);
  });

  it('B2-hours: an unknown time zone and invalid dates are refused', () => {
    expect(() => fit('2026-06-01T10:00:00Z', OFFICE, { timeZone: 'Europe/Atlantis' })).toThrow(/timeZone/);
    expect(() => fit('not a date', OFFICE)).toThrow(/due/);
    expect(() => fitToSendingHours({ due: d('2026-06-01T10:00:00Z'), notBefore: d('x'), deadline: FAR_FUTURE, hours: null, timeZone: ROME })).toThrow(
      /notBefore/,
    );
  });
});

describe('B2-hours: agrees with a minute-by-minute scan of the wall clock', () => {
  /** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
  function random(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let x = Math.imul(a ^ (a >>> 15), 1 | a);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  }
  const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  /** Wall-clock minutes avoiding 02:00–02:59, where DST days repeat or skip the clock. */
  const clockMinute = (rnd: () => number) => {
    const m = Math.floor(rnd() * 23 * 60);
    return m >= 120 ? m + 60 : m;
  };

  const rome = IANAZone.create(ROME);
  /** The reference: read the wall clock of each minute and test it against the windows. */
  function inside(ms: number, hours: NonNullable<SendingHours>): boolean {
    // Read the clock forwards (instant → wall time), the opposite of what the code under test does.
    const wall = new Date(ms + rome.offset(ms) * 60_000);
    const minute = wall.getUTCHours() * 60 + wall.getUTCMinutes();
    const weekday = ((wall.getUTCDay() + 6) % 7) + 1;
    const today = hours[String(weekday) as '1'] ?? [];
    const yesterday = hours[String(((weekday + 5) % 7) + 1) as '1'] ?? [];
    const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
    return (
      today.some(({ from, to }) => (toMin(to) > toMin(from) ? minute >= toMin(from) && minute < toMin(to) : minute >= toMin(from))) ||
      yesterday.some(({ from, to }) => toMin(to) <= toMin(from) && minute < toMin(to))
    );
  }

  function scan(due: number, notBefore: number, deadline: number, hours: NonNullable<SendingHours>): string {
    let best: number | null = null;
    for (let m = notBefore; m < deadline; m += 60_000) {
      if (!inside(m, hours)) continue;
      if (best === null || Math.abs(m - due) < Math.abs(best - due)) best = m;
    }
    return best === null ? 'sending_hours' : new Date(best).toISOString();
  }

  const weeks = ['2026-03-26T00:00:00Z', '2026-10-22T00:00:00Z', '2026-06-03T00:00:00Z'];
  for (const [w, week] of weeks.entries()) {
    it(`B2-hours: 60 random cases around ${week.slice(0, 10)}`, () => {
      const rnd = random(1000 + w);
      const outcomes = new Set<string>();
      for (let i = 0; i < 60; i++) {
        const hours: NonNullable<SendingHours> = {};
        for (const day of ['1', '2', '3', '4', '5', '6', '7'] as const) {
          const count = Math.floor(rnd() * 3);
          if (count > 0) hours[day] = Array.from({ length: count }, () => ({ from: hhmm(clockMinute(rnd)), to: hhmm(clockMinute(rnd)) }));
        }
        const due = new Date(week).getTime() + Math.floor(rnd() * 4 * 24 * 60) * 60_000;
        const notBefore = due - Math.floor(rnd() * 2 * 24 * 60) * 60_000;
        const deadline = due + Math.floor(rnd() * 2 * 24 * 60) * 60_000;
        const got = fitToSendingHours({ due: new Date(due), notBefore: new Date(notBefore), deadline: new Date(deadline), hours, timeZone: ROME });
        const expected = scan(due, notBefore, deadline, hours);
        expect('at' in got ? got.at.toISOString() : got.skip, JSON.stringify({ i, due: new Date(due), hours })).toBe(expected);
        outcomes.add(expected === 'sending_hours' ? 'skipped' : expected === new Date(due).toISOString() ? 'kept' : 'moved');
      }
      // The random cases exercise all three outcomes.
      expect([...outcomes].sort()).toEqual(['kept', 'moved', 'skipped']);
    });
  }
});
