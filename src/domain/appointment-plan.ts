import type { Channel, EventKind, SkipReason } from './events.js';
import type { ReminderOptions, SecondReminderOptions } from './policy.js';
import { type Plan, planPostVisit, planReminder, planResourceReminder, planSecondReminder } from './schedule.js';

export type StepRecipient = 'patient' | 'resource';

/** One message-producing step of an appointment: an event for one recipient, once per slot. */
export interface Step {
  eventKind: EventKind;
  /** Distinguishes repeats of one event (revision, start time, alert id). */
  slot: string;
  recipient: StepRecipient;
  /** Due time (epoch ms); 0 = at once. */
  at: number;
  skip?: SkipReason;
  delayMinutes?: number | null;
}

export type WorkflowStatus = 'booked' | 'confirmed' | 'cancelled' | 'attended' | 'no_show';

/** What planning needs of the center's policy (the policy activity returns more). */
export interface PlanningPolicy {
  timeZone: string;
  reminder: ReminderOptions & { channels: Channel[] };
  secondReminder: SecondReminderOptions & { channels: Channel[] };
  postVisit: { delayMinutes: number; channels: Channel[] };
  resourceReminder: { leadMinutes: number; channels: Channel[] };
  unreliable: boolean;
}

export interface AppointmentPlanInput {
  status: WorkflowStatus;
  startAt: Date;
  endAt: Date;
  bookedAt: Date;
  policy: PlanningPolicy;
  now: Date;
  /** A reminder already went out for some earlier start time. */
  reminderSent: boolean;
  /** When the last modification arrived (epoch ms), if any. */
  lastChangeAt?: number | undefined;
}

export const stepKey = (s: Pick<Step, 'eventKind' | 'slot' | 'recipient'>) => `${s.eventKind}|${s.slot}|${s.recipient}`;

/**
 * The timed messages of one appointment under the current policy (B2-rem, B2-second, B5, B3):
 * what the workflow sleeps towards. Pure, so it is re-run after every wake-up and unit-tested.
 */
export function planAppointment(input: AppointmentPlanInput): Step[] {
  const { status, startAt, endAt, policy } = input;
  if (status === 'cancelled') return [];
  const common = { startAt, bookedAt: input.bookedAt, now: input.now, timeZone: policy.timeZone };
  const slot = `start:${startAt.toISOString()}`;
  const steps: Step[] = [];
  const add = (eventKind: EventKind, recipient: StepRecipient, result: Plan | null, stepSlot = slot) => {
    if (!result) return;
    const step: Step = { eventKind, slot: stepSlot, recipient, at: result.at.getTime() };
    if (result.kind === 'skip') step.skip = result.reason;
    steps.push(step);
  };
  if (status === 'booked' || status === 'confirmed') {
    if (policy.reminder.channels.length) {
      // A move announced after the new reminder time had passed: the patient had a reminder and
      // now gets the change notice, so another reminder would only repeat it.
      const due = startAt.getTime() - policy.reminder.leadMinutes * 60_000;
      const superseded = input.reminderSent && due <= (input.lastChangeAt ?? 0);
      add('appointment.reminder', 'patient', superseded ? { kind: 'skip', reason: 'superseded', at: new Date(due) } : planReminder({ ...common, options: policy.reminder }));
    }
    if (policy.secondReminder.channels.length) {
      add(
        'appointment.second_reminder',
        'patient',
        planSecondReminder({
          ...common,
          options: policy.secondReminder,
          sendingHours: policy.reminder.sendingHours,
          confirmed: status === 'confirmed',
          unreliable: policy.unreliable,
        }),
      );
    }
    if (policy.resourceReminder.channels.length) {
      add('resource.reminder', 'resource', planResourceReminder({ ...common, options: { leadMinutes: policy.resourceReminder.leadMinutes } }));
    }
  }
  if (status !== 'no_show' && policy.postVisit.channels.length) {
    add('appointment.post_visit', 'patient', planPostVisit({ endAt, options: policy.postVisit }), `end:${endAt.toISOString()}`);
  }
  return steps;
}
