import { condition, continueAsNew, log, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { EngineActivities, AppointmentPolicy, PrepareInput, ReadyMessage, Recipient } from '../activities/types.js';
import type { EventKind, SkipReason } from '../domain/events.js';
import { PREPARE_AHEAD_MS, preparedFate } from '../domain/prepared.js';
import { sendPriority } from '../domain/priority.js';
import { isStillUseful, type Plan, planPostVisit, planReminder, planResourceReminder, planSecondReminder } from '../domain/schedule.js';
import type { AppointmentSnapshot, TimelineEntry } from '../engine/port.js';
import {
  appointmentCancelled,
  appointmentChanged,
  attendanceRecorded,
  patientAnswered,
  policyChanged,
  resourceAlerted,
  timelineQuery,
} from './definitions.js';
import { AppointmentStart, AppointmentStatus, CenterId, NextMessageAt, PatientId, ResourceId, AppointmentId } from './search-attributes.js';
import { db, deliverStep, prepareStep, releaseReady, sendReady } from './saga.js';

const callbacks = proxyActivities<EngineActivities>({
  startToCloseTimeout: '30s',
  // X4: retried until the booking system accepts it.
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '1h' },
});
const control = proxyActivities<EngineActivities>({ startToCloseTimeout: '30s' });

/** How long a finished appointment's workflow stays open for late attendance reports. */
const KEEP_OPEN_AFTER_END_MS = 30 * 24 * 3600_000;
const MAX_HISTORY_EVENTS = 2_000;

type Status = 'booked' | 'confirmed' | 'cancelled' | 'attended' | 'no_show';

/** A message-producing step: an event for one recipient, once per slot. */
interface Step {
  eventKind: EventKind;
  slot: string;
  recipient: Recipient;
  at: number;
  skip?: SkipReason;
  delayMinutes?: number | null;
}

type Action =
  | { type: 'answer'; eventId: string; answer: 'confirm' | 'cancel'; via: string }
  | { type: 'attendance'; attended: boolean }
  | { type: 'cancelled' };

export interface AppointmentWorkflowInput {
  snapshot: AppointmentSnapshot;
  /** Carried across continue-as-new. */
  carried?: Carried;
}

interface Carried {
  status: Status;
  done: Record<string, string>;
  timeline: TimelineEntry[];
  seenEvents: string[];
  pending: Step[];
  actions: Action[];
  /** When the last modification arrived (workflow time). */
  lastChangeAt?: number;
  /** Steps prepared and paid ahead of their due time, waiting for it. */
  prepared?: Record<string, { at: number; messages: ReadyMessage[] }>;
  /** Steps whose prepared messages were released: the next preparation gets a new key. */
  rounds?: Record<string, number>;
}

const stepKey = (s: Pick<Step, 'eventKind' | 'slot' | 'recipient'>) => `${s.eventKind}|${s.slot}|${s.recipient}`;

/**
 * One appointment's messages, from booking to recall: confirmations (B1), reminder (B2-rem,
 * B2-confirm, B2-min, B2-day, B2-hours), second reminder (B2-second), resource messages (B5),
 * alerts (B4), after-visit message (B3). It sleeps until the next due time; any signal wakes it
 * to re-plan with the center's current policy (X3).
 */
export async function appointmentWorkflow(input: AppointmentWorkflowInput): Promise<void> {
  let snapshot = input.snapshot;
  const state: Carried = input.carried ?? {
    status: 'booked',
    done: {},
    timeline: [],
    seenEvents: [],
    pending: [
      { eventKind: 'appointment.created', slot: `r${snapshot.revision}`, recipient: 'patient', at: 0 },
      { eventKind: 'resource.new_appointment', slot: `r${snapshot.revision}`, recipient: 'resource', at: 0 },
    ],
    actions: [],
  };
  let planned: Step[] = [];
  let wake = false;
  /** The appointment or the policy changed since the last plan: prepared texts may be stale. */
  let changed = false;
  /** The center's policy as last read; read again after a timer, a change or a policy signal (X3). */
  let policy: AppointmentPolicy | null = null;
  /** X4 callbacks still being retried; they keep the run open (no continue-as-new) until accepted. */
  const background = new Set<Promise<unknown>>();
  const inBackground = (work: Promise<unknown>) => {
    const tracked: Promise<unknown> = work.finally(() => background.delete(tracked));
    background.add(tracked);
  };
  let lastAttributes = '';
  const prepared = (state.prepared ??= {});
  const rounds = (state.rounds ??= {});

  const firstSeen = (eventId: string) => {
    if (state.seenEvents.includes(eventId)) return false;
    state.seenEvents.push(eventId);
    if (state.seenEvents.length > 50) state.seenEvents.shift();
    return true;
  };
  const isOpen = () => state.status === 'booked' || state.status === 'confirmed';

  setHandler(appointmentChanged, (next) => {
    if (next.revision <= snapshot.revision || !isOpen()) return; // X5: repeated or stale revision
    const moved = next.startAt !== snapshot.startAt || next.endAt !== snapshot.endAt || next.locationId !== snapshot.locationId;
    const newResource = next.resourceId !== snapshot.resourceId;
    snapshot = next;
    state.lastChangeAt = Date.now();
    policy = null;
    changed = true;
    if (moved || newResource) state.pending.push({ eventKind: 'appointment.modified', slot: `r${next.revision}`, recipient: 'patient', at: 0 });
    if (newResource) state.pending.push({ eventKind: 'resource.new_appointment', slot: `r${next.revision}`, recipient: 'resource', at: 0 });
    wake = true;
  });
  setHandler(appointmentCancelled, ({ eventId }) => {
    if (!firstSeen(eventId) || !isOpen()) return;
    state.status = 'cancelled';
    state.pending.push({ eventKind: 'appointment.cancelled', slot: 'cancel', recipient: 'patient', at: 0 });
    wake = true;
  });
  setHandler(patientAnswered, ({ eventId, answer, via }) => {
    if (!firstSeen(eventId) || !isOpen()) return;
    if (answer === 'confirm' && state.status === 'confirmed') return;
    state.status = answer === 'confirm' ? 'confirmed' : 'cancelled';
    state.actions.push({ type: 'answer', eventId, answer, via });
    if (answer === 'cancel') state.pending.push({ eventKind: 'appointment.cancelled', slot: 'cancel', recipient: 'patient', at: 0 });
    wake = true;
  });
  setHandler(attendanceRecorded, ({ eventId, attended }) => {
    if (!firstSeen(eventId) || state.status === 'cancelled') return;
    state.status = attended ? 'attended' : 'no_show';
    state.actions.push({ type: 'attendance', attended });
    wake = true;
  });
  setHandler(resourceAlerted, ({ alertId, kind, delayMinutes }) => {
    if (!firstSeen(`alert:${alertId}`) || !isOpen()) return;
    if (kind === 'absence') {
      state.status = 'cancelled';
      state.actions.push({ type: 'cancelled' });
      state.pending.push({ eventKind: 'alert.cancellation', slot: alertId, recipient: 'patient', at: 0 });
    } else {
      state.pending.push({ eventKind: 'alert.delay', slot: alertId, recipient: 'patient', at: 0, delayMinutes });
    }
    wake = true;
  });
  setHandler(policyChanged, () => {
    policy = null;
    changed = true;
    wake = true;
  });
  setHandler(timelineQuery, () => [
    ...state.timeline,
    ...planned
      .filter((s) => !state.done[stepKey(s)])
      .map((s) => ({ eventKind: s.eventKind, state: s.skip ? 'will_skip' : 'planned', at: new Date(s.at).toISOString(), reason: s.skip })),
  ]);

  const record = (entry: TimelineEntry) => {
    state.timeline.push(entry);
    if (state.timeline.length > 200) state.timeline.shift();
  };

  /** The saga of one step: prepare (rules, render, insert) → debit → send → refund on permanent failure. */
  async function deliver(step: Step, now: number): Promise<void> {
    const key = stepKey(step);
    if (state.done[key]) return;
    const useful = isStillUseful({
      eventKind: step.eventKind,
      dueAt: new Date(step.at || now),
      now: new Date(now),
      startAt: new Date(snapshot.startAt),
    });
    const start = new Date(snapshot.startAt);
    const order = { priorityKey: sendPriority(start, new Date(now)), order: start.getTime() };
    const ready = prepared[key];
    delete prepared[key];
    const outcomes = ready
      ? await (useful ? sendReady(ready.messages, order) : releaseReady(ready.messages, 'expired'))
      : await deliverStep(prepareInputOf(step, now, useful ? undefined : 'expired'), order);
    const at = new Date(Date.now()).toISOString();
    for (const o of outcomes) {
      if (o.state === 'done_before') continue;
      record({ eventKind: step.eventKind, channel: o.channel, messageId: o.messageId, state: o.state, reason: 'reason' in o ? o.reason : undefined, at });
    }
    state.done[key] = outcomes.length ? 'done' : 'nothing';
  }

  function prepareInputOf(step: Step, now: number, forcedSkip?: SkipReason): PrepareInput {
    const round = rounds[stepKey(step)];
    return {
      centerId: snapshot.centerId,
      appointmentId: snapshot.appointmentId,
      eventKind: step.eventKind,
      // A step prepared again after a release needs rows of its own: the released ones stay skipped.
      slot: round ? `${step.slot}@${round}` : step.slot,
      dueAt: new Date(step.at || now).toISOString(),
      recipient: step.recipient,
      forcedSkip: step.skip ?? forcedSkip,
      delayMinutes: step.delayMinutes ?? null,
    };
  }

  /** Prepare and pay a step ahead of its due time (PREPARE_AHEAD_MS). */
  async function prepareAhead(step: Step): Promise<void> {
    prepared[stepKey(step)] = { at: step.at, messages: await prepareStep(prepareInputOf(step, Date.now())) };
  }

  /** Prepared steps the new plan no longer sends as prepared are released (see preparedFate). */
  async function releaseStale(steps: Step[], changed: boolean, now: number): Promise<void> {
    for (const [key, ready] of Object.entries(prepared)) {
      const fate = preparedFate({ preparedAt: ready.at, step: steps.find((s) => stepKey(s) === key), now, changed, cancelled: state.status === 'cancelled' });
      if (fate.kind === 'keep') continue;
      delete prepared[key];
      if (fate.done) state.done[key] = 'done';
      else rounds[key] = (rounds[key] ?? 0) + 1; // prepared again under a new key
      const outcomes = await releaseReady(ready.messages, fate.reason);
      const at = new Date(Date.now()).toISOString();
      for (const o of outcomes) {
        if (o.state === 'skipped' && o.reason === fate.reason) record({ eventKind: key.split('|')[0]!, channel: o.channel, messageId: o.messageId, state: 'skipped', reason: fate.reason, at });
      }
    }
  }

  async function runAction(action: Action): Promise<void> {
    const ids = { centerId: snapshot.centerId, appointmentId: snapshot.appointmentId };
    if (action.type === 'answer') {
      const { callbackId } = await db.recordPatientAnswer({ ...ids, answer: action.answer, via: action.via, eventId: action.eventId });
      record({ eventKind: `patient.${action.answer}`, state: 'received', at: new Date(Date.now()).toISOString(), channel: action.via });
      if (callbackId) inBackground(callbacks.deliverCallback({ callbackId }));
    } else if (action.type === 'attendance') {
      await db.recordAttendance({ ...ids, attended: action.attended });
      if (action.attended) await control.scheduleRecall(ids);
    } else {
      await db.markAppointmentCancelled(ids);
    }
  }

  function plan(policy: AppointmentPolicy, now: number): Step[] {
    if (state.status === 'cancelled') return [];
    const start = new Date(snapshot.startAt);
    const end = new Date(snapshot.endAt);
    const common = { startAt: start, bookedAt: new Date(snapshot.bookedAt), now: new Date(now), timeZone: policy.timeZone };
    const slot = `start:${snapshot.startAt}`;
    const steps: Step[] = [];
    const add = (eventKind: EventKind, recipient: Recipient, result: Plan | null, stepSlot = slot) => {
      if (!result) return;
      const step: Step = { eventKind, slot: stepSlot, recipient, at: result.at.getTime() };
      if (result.kind === 'skip') step.skip = result.reason;
      steps.push(step);
    };
    if (state.status === 'booked' || state.status === 'confirmed') {
      if (policy.reminder.channels.length) {
        // A move announced after the new reminder time had passed: the patient had a reminder and
        // now gets the change notice, so another reminder would only repeat it.
        const due = start.getTime() - policy.reminder.leadMinutes * 60_000;
        const superseded = anyDone('appointment.reminder') && due <= (state.lastChangeAt ?? 0);
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
            confirmed: state.status === 'confirmed',
            unreliable: policy.unreliable,
          }),
        );
      }
      if (policy.resourceReminder.channels.length) {
        const at = planResourceReminder({ ...common, options: { leadMinutes: policy.resourceReminder.leadMinutes } });
        add('resource.reminder', 'resource', at);
      }
    }
    if (state.status !== 'no_show' && policy.postVisit.channels.length) {
      add('appointment.post_visit', 'patient', planPostVisit({ endAt: end, options: policy.postVisit }), `end:${snapshot.endAt}`);
    }
    return steps;
  }

  const anyDone = (eventKind: EventKind) => Object.keys(state.done).some((k) => k.startsWith(`${eventKind}|`));

  upsertSearchAttributes([
    { key: CenterId, value: snapshot.centerId },
    { key: AppointmentId, value: snapshot.appointmentId },
    { key: PatientId, value: snapshot.patientId },
    ...(snapshot.resourceId ? [{ key: ResourceId, value: snapshot.resourceId }] : []),
  ]);

  // B2-recall: booking this service again supersedes a pending recall.
  if (!input.carried) await control.supersedeRecall({ centerId: snapshot.centerId, appointmentId: snapshot.appointmentId });

  for (;;) {
    // Record what happened (actions) before telling anyone about it (pending messages), also for
    // signals that arrive while a message is going out.
    while (state.actions.length || state.pending.length) {
      if (state.actions.length) await runAction(state.actions.shift()!);
      else await deliver(state.pending.shift()!, Date.now());
    }

    // An alert, an answer or attendance changes no policy: only timers and changes read it again.
    policy ??= await db.loadAppointmentPolicy({ centerId: snapshot.centerId, appointmentId: snapshot.appointmentId });
    const now = Date.now();
    planned = plan(policy, now);
    await releaseStale(planned, changed, now);
    changed = false;
    for (const step of planned) {
      const key = stepKey(step);
      if (state.done[key]) continue;
      if (step.skip || step.at <= now) await deliver(step, Date.now());
      else if (!prepared[key] && step.at - now <= PREPARE_AHEAD_MS) await prepareAhead(step);
    }
    const waiting = planned.filter((s) => !state.done[stepKey(s)]);
    const next = waiting.length ? Math.min(...waiting.map((s) => s.at)) : null;
    const toPrepare = waiting.filter((s) => !s.skip && !prepared[stepKey(s)]).map((s) => s.at - PREPARE_AHEAD_MS);
    // X6: only real changes, so an idle wake-up adds no history event.
    const attributes = `${snapshot.startAt}|${state.status}|${next}`;
    if (attributes !== lastAttributes) {
      lastAttributes = attributes;
      upsertSearchAttributes([
        { key: AppointmentStart, value: new Date(snapshot.startAt) },
        { key: AppointmentStatus, value: state.status },
        { key: NextMessageAt, value: next === null ? null : new Date(next) },
      ]);
    }

    const closeAt = state.status === 'cancelled' ? Date.now() : new Date(snapshot.endAt).getTime() + KEEP_OPEN_AFTER_END_MS;
    const wakeAt = next === null ? closeAt : Math.min(next, ...toPrepare);
    // Waking only to send what is prepared needs no fresh policy: changes since arrive as signals.
    const sendOnly = next !== null && waiting.every((s) => s.at > wakeAt || prepared[stepKey(s)]);
    if (next === null && Date.now() >= closeAt && !state.actions.length && !state.pending.length) break;

    wake = false;
    const nextStep = waiting.find((s) => s.at === next);
    const signalled = await condition(() => wake || state.actions.length > 0 || state.pending.length > 0, Math.max(1, wakeAt - Date.now()), {
      summary: nextStep ? `next: ${nextStep.eventKind} to ${nextStep.recipient}` : 'waiting for attendance / late changes',
    });
    if (!signalled && !sendOnly) policy = null; // a due or preparation time: re-check the policy (X3)

    const info = workflowInfo();
    if ((info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) && background.size === 0) {
      await continueAsNew<typeof appointmentWorkflow>({ snapshot, carried: state });
    }
  }
  await Promise.all([...background]);
  log.info('appointment workflow finished', { status: state.status });
}
