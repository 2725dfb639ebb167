import { describe, expect, it } from 'vitest';
import { planAppointment, stepKey, type AppointmentPlanInput, type PlanningPolicy } from '../../src/domain/appointment-plan.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const start = new Date('2026-12-10T09:00:00Z');
const policy = (over: Partial<PlanningPolicy> = {}): PlanningPolicy => ({
  timeZone: 'Europe/Rome',
  reminder: { channels: ['email'], leadMinutes: 24 * 60, requestConfirmation: false, minimumLeadMinutes: 0, onePerDay: false, sendingHours: null },
  secondReminder: { channels: [], policy: 'none', leadMinutes: 3 * 60 },
  postVisit: { channels: [], delayMinutes: 120 },
  resourceReminder: { channels: [], leadMinutes: 60 },
  unreliable: false,
  ...over,
});
const input = (over: Partial<AppointmentPlanInput> = {}): AppointmentPlanInput => ({
  status: 'booked',
  startAt: start,
  endAt: new Date(start.getTime() + 30 * MIN),
  bookedAt: new Date(start.getTime() - 5 * DAY),
  policy: policy(),
  now: new Date(start.getTime() - 4 * DAY),
  reminderSent: false,
  ...over,
});
const brief = (steps: ReturnType<typeof planAppointment>) => steps.map((s) => `${s.eventKind}@${(s.at - start.getTime()) / MIN}${s.skip ? `:${s.skip}` : ''}`);

describe('planAppointment (pure: the timed messages of one appointment)', () => {
  it('B2-rem X3: the reminder falls lead minutes before the start; a new lead moves it', () => {
    expect(brief(planAppointment(input()))).toEqual(['appointment.reminder@-1440']);
    expect(brief(planAppointment(input({ policy: policy({ reminder: { ...policy().reminder, leadMinutes: 120 } }) })))).toEqual(['appointment.reminder@-120']);
  });

  it('a cancelled appointment plans nothing; a no-show gets no after-visit message, an attended one does (B3)', () => {
    const withPostVisit = policy({ postVisit: { channels: ['email'], delayMinutes: 120 } });
    expect(planAppointment(input({ status: 'cancelled', policy: withPostVisit }))).toEqual([]);
    expect(brief(planAppointment(input({ status: 'no_show', policy: withPostVisit })))).toEqual([]);
    expect(brief(planAppointment(input({ status: 'attended', policy: withPostVisit })))).toEqual(['appointment.post_visit@150']);
  });

  it('B2-second: planned for all patients, skipped as already confirmed once the patient confirmed', () => {
    const both = policy({ secondReminder: { channels: ['sms'], policy: 'all', leadMinutes: 180 } });
    expect(brief(planAppointment(input({ policy: both })))).toEqual(['appointment.reminder@-1440', 'appointment.second_reminder@-180']);
    expect(brief(planAppointment(input({ policy: both, status: 'confirmed' })))).toEqual(['appointment.reminder@-1440', 'appointment.second_reminder@-180:already_confirmed']);
  });

  it('a move announced after the new reminder time had passed: no second reminder when one already went out', () => {
    const now = new Date(start.getTime() - 2 * HOUR);
    const moved = input({ now, reminderSent: true, lastChangeAt: now.getTime() });
    expect(brief(planAppointment(moved))).toEqual(['appointment.reminder@-1440:superseded']);
    expect(brief(planAppointment({ ...moved, reminderSent: false }))).not.toContain('appointment.reminder@-1440:superseded');
  });

  it('B5: the resource reminder goes to the resource; step keys tell recipients and start times apart', () => {
    const steps = planAppointment(input({ policy: policy({ resourceReminder: { channels: ['email'], leadMinutes: 60 } }) }));
    expect(steps.map((s) => s.recipient)).toEqual(['patient', 'resource']);
    expect(stepKey(steps[1]!)).toBe(`resource.reminder|start:${start.toISOString()}|resource`);
  });
});
