import { describe, expect, it } from 'vitest';
import { EVENT_KINDS } from '../../src/domain/events.js';
import type { SendingHours } from '../../src/domain/policy.js';
import {
  catchUp,
  isStillUseful,
  planPostVisit,
  planReminder,
  planResourceReminder,
  planSecondReminder,
  recallDueAt,
  recallIntervalDays,
  type Plan,
} from '../../src/domain/schedule.js';

const ROME = 'Europe/Rome';
const d = (iso: string) => new Date(iso);
const H = 60;
const DAY = 24 * H;

/** Monday–Saturday 08:00–20:00, no Sunday. */
const WEEKDAYS: SendingHours = Object.fromEntries(
  (['1', '2', '3', '4', '5', '6'] as const).map((k) => [k, [{ from: '08:00', to: '20:00' }]]),
);

/** A plan with ISO strings, easier to read in assertions. */
function show(plan: Plan | null) {
  if (plan === null) return null;
  return plan.kind === 'send' ? { send: plan.at.toISOString() } : { skip: plan.reason, at: plan.at.toISOString() };
}

function reminder(
  startAt: string,
  opts: { bookedAt?: string; now?: string; leadMinutes?: number; minimumLeadMinutes?: number; sendingHours?: SendingHours } = {},
) {
  const bookedAt = opts.bookedAt ?? '2026-01-01T00:00:00Z';
  return show(
    planReminder({
      startAt: d(startAt),
      bookedAt: d(bookedAt),
      now: d(opts.now ?? bookedAt),
      timeZone: ROME,
      options: { leadMinutes: opts.leadMinutes ?? DAY, minimumLeadMinutes: opts.minimumLeadMinutes ?? 0, sendingHours: opts.sendingHours ?? null },
    }),
  );
}

describe('B2-rem: reminder lead time', () => {
  it('B2-rem: due the lead time before the start (24 h, 1 h, 7 days)', () => {
    expect(reminder('2026-06-10T09:00:00+02:00')).toEqual({ send: '2026-06-09T07:00:00.000Z' });
    expect(reminder('2026-06-10T09:00:00+02:00', { leadMinutes: H })).toEqual({ send: '2026-06-10T06:00:00.000Z' });
    expect(reminder('2026-06-10T09:00:00+02:00', { leadMinutes: 7 * DAY })).toEqual({ send: '2026-06-03T07:00:00.000Z' });
  });

  it('B2-rem: booked inside the lead time → sent at once (at booking), still before the start', () => {
    expect(reminder('2026-06-10T15:00:00+02:00', { bookedAt: '2026-06-10T10:00:00+02:00' })).toEqual({ send: '2026-06-10T08:00:00.000Z' });
  });

  it('B2-rem: a lead time counts real hours across the DST change of 2026-03-29', () => {
    // Sunday 10:00 CEST minus 24 h is Saturday 09:00 CET.
    expect(reminder('2026-03-29T10:00:00+02:00')).toEqual({ send: '2026-03-28T08:00:00.000Z' });
    // Monday 2026-10-26 09:00 CET minus 24 h is Sunday 09:00 CET (a 25-hour Sunday lies between).
    expect(reminder('2026-10-26T09:00:00+01:00')).toEqual({ send: '2026-10-25T08:00:00.000Z' });
  });

  it('X2: worker down at the due time → sent as soon as it is back, if before the start', () => {
    expect(reminder('2026-06-10T09:00:00+02:00', { now: '2026-06-10T08:15:00+02:00' })).toEqual({ send: '2026-06-10T06:15:00.000Z' });
  });

  it('X2: after the start the reminder is skipped as expired', () => {
    expect(reminder('2026-06-10T09:00:00+02:00', { now: '2026-06-10T09:00:00+02:00' })).toEqual({
      skip: 'expired',
      at: '2026-06-09T07:00:00.000Z',
    });
  });

  it('B2-rem: bad options name the field', () => {
    expect(() => reminder('2026-06-10T09:00:00+02:00', { leadMinutes: -5 })).toThrow(/options\.leadMinutes/);
    expect(() => reminder('2026-06-10T09:00:00+02:00', { minimumLeadMinutes: 1.5 })).toThrow(/options\.minimumLeadMinutes/);
    expect(() => reminder('soon')).toThrow(/startAt/);
    expect(() =>
      planReminder({
        startAt: d('2026-06-10T09:00:00Z'),
        bookedAt: d('2026-06-01T09:00:00Z'),
        now: d('2026-06-01T09:00:00Z'),
        timeZone: 'Rome',
        options: { leadMinutes: DAY, minimumLeadMinutes: 0, sendingHours: null },
      }),
    ).toThrow(/timeZone/);
  });
});

describe('B2-min: minimum lead', () => {
  it('B2-min: booked 4 h before with a 12 h minimum → no reminder', () => {
    expect(
      reminder('2026-06-10T15:00:00+02:00', { bookedAt: '2026-06-10T11:00:00+02:00', minimumLeadMinutes: 12 * H }),
    ).toEqual({ skip: 'minimum_lead', at: '2026-06-09T13:00:00.000Z' });
  });

  it('B2-min: booked exactly 12 h before with a 12 h minimum → reminder sent at once', () => {
    expect(reminder('2026-06-10T15:00:00+02:00', { bookedAt: '2026-06-10T03:00:00+02:00', minimumLeadMinutes: 12 * H })).toEqual({
      send: '2026-06-10T01:00:00.000Z',
    });
  });

  it('B2-min: the minimum lead compares the booking time, not the time of planning', () => {
    // Booked two days ahead, re-planned (X3) 4 h before the start: not a late booking.
    expect(
      reminder('2026-06-10T15:00:00+02:00', {
        bookedAt: '2026-06-08T15:00:00+02:00',
        now: '2026-06-10T11:00:00+02:00',
        minimumLeadMinutes: 12 * H,
        leadMinutes: 2 * H,
      }),
    ).toEqual({ send: '2026-06-10T11:00:00.000Z' });
  });

  it('B2-min: a zero minimum never skips', () => {
    expect(reminder('2026-06-10T15:00:00+02:00', { bookedAt: '2026-06-10T14:50:00+02:00' })).toEqual({ send: '2026-06-10T12:50:00.000Z' });
  });
});

describe('B2-hours: reminders inside sending hours', () => {
  it('B2-hours: a due time at night moves to the nearer edge of the windows', () => {
    // Start Wednesday 07:30 → due Tuesday 07:30 → Tuesday 08:00.
    expect(reminder('2026-06-03T07:30:00+02:00', { sendingHours: WEEKDAYS })).toEqual({ send: '2026-06-02T06:00:00.000Z' });
    // Start Wednesday 22:00 → due Tuesday 22:00 → Tuesday 19:59.
    expect(reminder('2026-06-03T22:00:00+02:00', { sendingHours: WEEKDAYS })).toEqual({ send: '2026-06-02T17:59:00.000Z' });
  });

  it('B2-hours: booked late in the evening → sent when the window opens, before the start', () => {
    expect(
      reminder('2026-06-02T08:30:00+02:00', { bookedAt: '2026-06-01T22:00:00+02:00', sendingHours: WEEKDAYS }),
    ).toEqual({ send: '2026-06-02T06:00:00.000Z' });
  });

  it('B2-hours: no allowed time before the start → skipped for sending hours', () => {
    expect(
      reminder('2026-06-02T07:30:00+02:00', { bookedAt: '2026-06-01T22:00:00+02:00', sendingHours: WEEKDAYS }),
    ).toEqual({ skip: 'sending_hours', at: '2026-06-01T05:30:00.000Z' });
  });

  it('B2-hours: due on Sunday of the DST week (2026-10-25) → back to Saturday 19:59 CEST', () => {
    // Start Monday 09:00 CET; due Sunday 09:00 CET; Saturday 19:59 CEST is 14 h 01 m back, Monday 08:00 is 23 h ahead.
    expect(reminder('2026-10-26T09:00:00+01:00', { sendingHours: WEEKDAYS })).toEqual({ send: '2026-10-24T17:59:00.000Z' });
  });

  it('B2-hours: due on Sunday of the DST week (2026-03-29) → forward to Monday 08:00 CEST when nearer', () => {
    // Start Monday 2026-03-30 18:00 CEST; due Sunday 18:00 CEST; Monday 08:00 CEST (14 h) beats Saturday 19:59 CET (21 h 01 m).
    expect(reminder('2026-03-30T18:00:00+02:00', { sendingHours: WEEKDAYS })).toEqual({ send: '2026-03-30T06:00:00.000Z' });
  });
});

describe('B2-second: second SMS reminder', () => {
  function second(
    policy: 'none' | 'all' | 'unreliable',
    opts: { confirmed?: boolean; unreliable?: boolean; now?: string; bookedAt?: string; sendingHours?: SendingHours; minimumLeadMinutes?: number } = {},
  ) {
    const bookedAt = opts.bookedAt ?? '2026-06-01T09:00:00+02:00';
    return show(
      planSecondReminder({
        startAt: d('2026-06-10T11:00:00+02:00'),
        bookedAt: d(bookedAt),
        now: d(opts.now ?? bookedAt),
        timeZone: ROME,
        options: { policy, leadMinutes: 3 * H },
        sendingHours: opts.sendingHours ?? null,
        confirmed: opts.confirmed ?? false,
        unreliable: opts.unreliable ?? false,
        minimumLeadMinutes: opts.minimumLeadMinutes,
      }),
    );
  }

  it('B2-second: policy none → nothing planned at all', () => {
    expect(second('none', { unreliable: true })).toBeNull();
  });

  it('B2-second: policy all → every patient, lead time before the start', () => {
    expect(second('all')).toEqual({ send: '2026-06-10T06:00:00.000Z' });
    expect(second('all', { unreliable: true })).toEqual({ send: '2026-06-10T06:00:00.000Z' });
  });

  it('B2-second: policy unreliable → only unreliable patients', () => {
    expect(second('unreliable', { unreliable: true })).toEqual({ send: '2026-06-10T06:00:00.000Z' });
    expect(second('unreliable')).toEqual({ skip: 'not_unreliable', at: '2026-06-10T06:00:00.000Z' });
  });

  it('B2-second: a patient who already confirmed gets none', () => {
    expect(second('all', { confirmed: true })).toEqual({ skip: 'already_confirmed', at: '2026-06-10T06:00:00.000Z' });
    expect(second('unreliable', { confirmed: true })).toEqual({ skip: 'already_confirmed', at: '2026-06-10T06:00:00.000Z' });
  });

  it('B2-second: sending hours apply (due 08:00 with windows from 09:00 → 09:00)', () => {
    const late: SendingHours = { '3': [{ from: '09:00', to: '19:00' }] };
    expect(second('all', { sendingHours: late })).toEqual({ send: '2026-06-10T07:00:00.000Z' });
  });

  it('B2-second: late booking, minimum lead and expiry behave like the reminder', () => {
    expect(second('all', { bookedAt: '2026-06-10T10:00:00+02:00' })).toEqual({ send: '2026-06-10T08:00:00.000Z' });
    expect(second('all', { bookedAt: '2026-06-10T07:00:00+02:00', minimumLeadMinutes: 12 * H })).toEqual({
      skip: 'minimum_lead',
      at: '2026-06-10T06:00:00.000Z',
    });
    expect(second('all', { now: '2026-06-10T11:30:00+02:00' })).toEqual({ skip: 'expired', at: '2026-06-10T06:00:00.000Z' });
  });
});

describe('B3: after the visit', () => {
  it('B3: sent the configured delay after the end', () => {
    expect(show(planPostVisit({ endAt: d('2026-06-10T11:30:00+02:00'), options: { delayMinutes: 2 * H } }))).toEqual({
      send: '2026-06-10T11:30:00.000Z',
    });
    expect(show(planPostVisit({ endAt: d('2026-06-10T11:30:00+02:00'), options: { delayMinutes: 0 } }))).toEqual({
      send: '2026-06-10T09:30:00.000Z',
    });
  });

  it('B3: a negative delay is refused', () => {
    expect(() => planPostVisit({ endAt: d('2026-06-10T11:30:00Z'), options: { delayMinutes: -1 } })).toThrow(/options\.delayMinutes/);
  });
});

describe('B5: resource reminder', () => {
  const plan = (now: string, bookedAt = '2026-06-01T09:00:00Z') =>
    show(planResourceReminder({ startAt: d('2026-06-10T09:00:00Z'), bookedAt: d(bookedAt), now: d(now), options: { leadMinutes: DAY } }));

  it('B5: due the lead time before the start, at any hour', () => {
    expect(plan('2026-06-01T09:00:00Z')).toEqual({ send: '2026-06-09T09:00:00.000Z' });
  });

  it('B5: booked or woken late → sent now; after the start → expired', () => {
    expect(plan('2026-06-10T07:00:00Z', '2026-06-10T07:00:00Z')).toEqual({ send: '2026-06-10T07:00:00.000Z' });
    expect(plan('2026-06-10T09:00:00Z')).toEqual({ skip: 'expired', at: '2026-06-09T09:00:00.000Z' });
  });
});

describe('B2-recall: recall interval and due time', () => {
  it('B2-recall: manual beats service beats center default', () => {
    expect(recallIntervalDays({ manualDays: 30, serviceDays: 180, centerDefaultDays: 365 })).toBe(30);
    expect(recallIntervalDays({ manualDays: null, serviceDays: 180, centerDefaultDays: 365 })).toBe(180);
    expect(recallIntervalDays({ manualDays: null, serviceDays: null, centerDefaultDays: 365 })).toBe(365);
    expect(recallIntervalDays({ manualDays: null, serviceDays: null, centerDefaultDays: null })).toBeNull();
  });

  it('B2-recall: a bad interval names its source', () => {
    expect(() => recallIntervalDays({ manualDays: 0, serviceDays: 180, centerDefaultDays: null })).toThrow(/manualDays/);
    expect(() => recallIntervalDays({ manualDays: null, serviceDays: 2.5, centerDefaultDays: null })).toThrow(/serviceDays/);
  });

  it('B2-recall: 10:00 local time, the interval in calendar days after the visit day', () => {
    // Visit Saturday 2026-03-28 17:00 CET; one day later is the DST Sunday: 10:00 CEST.
    expect(recallDueAt({ lastEndAt: d('2026-03-28T17:00:00+01:00'), intervalDays: 1, timeZone: ROME }).toISOString()).toBe(
      '2026-03-29T08:00:00.000Z',
    );
    // 23:30 UTC on 1 June is already 2 June in Rome; 180 days later is 29 November (CET).
    expect(recallDueAt({ lastEndAt: d('2026-06-01T23:30:00Z'), intervalDays: 180, timeZone: ROME }).toISOString()).toBe(
      '2026-11-29T09:00:00.000Z',
    );
  });

  it('B2-recall: an interval below one day is refused', () => {
    expect(() => recallDueAt({ lastEndAt: d('2026-06-01T10:00:00Z'), intervalDays: 0, timeZone: ROME })).toThrow(/intervalDays/);
  });
});

describe('X2: late, not lost', () => {
  const start = d('2026-06-10T09:00:00Z');

  it('X2: appointment messages are useful only before the appointment starts', () => {
    for (const eventKind of [
      'appointment.created',
      'appointment.modified',
      'appointment.cancelled',
      'appointment.reminder',
      'appointment.second_reminder',
      'alert.delay',
      'alert.cancellation',
      'resource.reminder',
      'resource.new_appointment',
    ] as const) {
      const dueAt = d('2026-06-09T09:00:00Z');
      expect(isStillUseful({ eventKind, dueAt, now: d('2026-06-10T08:59:59Z'), startAt: start }), eventKind).toBe(true);
      expect(isStillUseful({ eventKind, dueAt, now: start, startAt: start }), eventKind).toBe(false);
    }
  });

  it('X2: a post-visit message is useful up to 3 days after its due time', () => {
    const dueAt = d('2026-06-10T12:00:00Z');
    expect(isStillUseful({ eventKind: 'appointment.post_visit', dueAt, now: d('2026-06-13T12:00:00Z') })).toBe(true);
    expect(isStillUseful({ eventKind: 'appointment.post_visit', dueAt, now: d('2026-06-13T12:00:01Z') })).toBe(false);
  });

  it('X2: a recall is useful up to 30 days after its due time', () => {
    const dueAt = d('2026-06-10T08:00:00Z');
    expect(isStillUseful({ eventKind: 'recall', dueAt, now: d('2026-07-10T08:00:00Z') })).toBe(true);
    expect(isStillUseful({ eventKind: 'recall', dueAt, now: d('2026-07-10T08:01:00Z') })).toBe(false);
  });

  it('X2: center notices and password messages are always useful', () => {
    for (const eventKind of ['center.notice', 'password'] as const) {
      expect(isStillUseful({ eventKind, dueAt: d('2026-06-10T08:00:00Z'), now: d('2027-06-10T08:00:00Z') })).toBe(true);
    }
  });

  it('X2: every event kind has a rule', () => {
    for (const eventKind of EVENT_KINDS) {
      expect(typeof isStillUseful({ eventKind, dueAt: d('2026-06-09T09:00:00Z'), now: d('2026-06-09T10:00:00Z'), startAt: start })).toBe('boolean');
    }
  });

  it('X2: an appointment message without a start is refused', () => {
    expect(() => isStillUseful({ eventKind: 'appointment.reminder', dueAt: start, now: start })).toThrow(/startAt/);
  });

  it('X2: catchUp keeps a future time, sends an overdue useful message now, else expires it', () => {
    const base = { eventKind: 'appointment.reminder' as const, startAt: start, dueAt: d('2026-06-09T09:00:00Z') };
    expect(show(catchUp({ ...base, now: d('2026-06-08T09:00:00Z') }))).toEqual({ send: '2026-06-09T09:00:00.000Z' });
    expect(show(catchUp({ ...base, now: d('2026-06-10T07:00:00Z') }))).toEqual({ send: '2026-06-10T07:00:00.000Z' });
    expect(show(catchUp({ ...base, now: d('2026-06-10T09:30:00Z') }))).toEqual({ skip: 'expired', at: '2026-06-09T09:00:00.000Z' });
  });
});
