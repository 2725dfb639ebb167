import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { condition, continueAsNew, log, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { EngineActivities, PrepareInput } from '../activities/types.js';
import { planAppointment, stepKey, type Step } from '../domain/appointment-plan.js';
import type { SkipReason } from '../domain/events.js';
import { PREPARE_AHEAD_MS, preparedFate } from '../domain/prepared.js';
import { sendPriority } from '../domain/priority.js';
import { isStillUseful } from '../domain/schedule.js';
import type { AppointmentSnapshot } from '../engine/port.js';
import { AppointmentState, type Action, type Carried } from './appointment-state.js';
import {
  appointmentCancelled,
  appointmentChanged,
  attendanceRecorded,
  patientAnswered,
  policyChanged,
  resourceAlerted,
  timelineQuery,
} from './definitions.js';
import { idAttributes } from './booking-attributes.js';
import { AppointmentStart, AppointmentStatus, NextMessageAt } from './search-attributes.js';
import { PERMANENT_ERROR_TYPES } from './retry.js';
import { db, deliverStep, leftToDispatcher, prepareStep, releaseReady, sendReady } from './saga.js';
import { DISPATCH_GRACE_MS } from '../messages/timing.js';

const callbacks = proxyActivities<EngineActivities>({
  startToCloseTimeout: '30s',
  // X4: retried until the booking system accepts it.
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '1h', nonRetryableErrorTypes: PERMANENT_ERROR_TYPES },
});
const control = proxyActivities<EngineActivities>({ startToCloseTimeout: '30s', retry: { nonRetryableErrorTypes: PERMANENT_ERROR_TYPES } });

/** How long a finished appointment's workflow stays open for late attendance reports. */
const KEEP_OPEN_AFTER_END_MS = 30 * 24 * 3600_000;
const MAX_HISTORY_EVENTS = 2_000;
/**
 * #13: a new appointment is planned in one workflow task with one local activity: the first
 * policy load also supersedes a pending recall (was an activity of its own: a server round trip
 * and a second workflow task) and says which booking events have no channels (their prepare, a
 * local activity each, is skipped); the search attributes go in one upsert (two when booking
 * notices are to be sent: the ids before them). Histories without this patch replay the old way.
 */
const ONE_TASK_PLAN = 'one-task-plan';
/**
 * #8: a settings fan-out hands the center's policy over in its signal, and the appointment
 * re-plans with it in the signal's own workflow task: no local activity, no database read, one
 * activation instead of two. Histories without this patch read the policy as they did.
 */
const POLICY_IN_SIGNAL = 'policy-in-signal';

export interface AppointmentWorkflowInput {
  snapshot: AppointmentSnapshot;
  /** Carried across continue-as-new. */
  carried?: Carried;
}

/**
 * One appointment's messages, from booking to recall: confirmations (B1), reminder (B2-rem,
 * B2-confirm, B2-min, B2-day, B2-hours), second reminder (B2-second), resource messages (B5),
 * alerts (B4), after-visit message (B3). It sleeps until the next due time; any signal wakes it
 * to re-plan with the center's current policy (X3). Its state and signal handlers live in
 * AppointmentState, its plan in domain/appointment-plan.ts; this body waits and dispatches.
 */
export async function appointmentWorkflow(input: AppointmentWorkflowInput): Promise<void> {
  const st = new AppointmentState(input.snapshot, input.carried);
  const state = st.carried;
  /** X4 callbacks still being retried; they keep the run open (no continue-as-new) until accepted. */
  const background = new Set<Promise<unknown>>();
  const inBackground = (work: Promise<unknown>) => {
    const tracked: Promise<unknown> = work.finally(() => background.delete(tracked));
    background.add(tracked);
  };
  let lastAttributes = '';

  setHandler(appointmentChanged, (next) => st.onChanged(next, Date.now()));
  setHandler(appointmentCancelled, ({ eventId }) => st.onCancelled(eventId));
  setHandler(patientAnswered, (answer) => st.onAnswered(answer));
  setHandler(attendanceRecorded, (report) => st.onAttendance(report));
  setHandler(resourceAlerted, (alert) => st.onAlert(alert));
  setHandler(policyChanged, (change) => st.onPolicyChanged(change, () => patched(POLICY_IN_SIGNAL)));
  setHandler(timelineQuery, () => st.timeline());

  /**
   * When the workflow acts on a step: its due time, or for a step left to the email dispatcher
   * (#13) the grace period after the due time it was prepared for. The marks come from recorded
   * activity results, so histories from before the dispatcher replay as they ran.
   */
  function actAt(step: Step): number {
    const ready = st.prepared[stepKey(step)];
    return ready && leftToDispatcher(ready.messages) ? ready.at + DISPATCH_GRACE_MS : step.at;
  }

  /** The saga of one step: prepare (rules, render, insert) → debit → send → refund on permanent failure. */
  async function deliver(step: Step, now: number): Promise<void> {
    const key = stepKey(step);
    if (state.done[key]) return;
    const { snapshot } = st;
    const useful = isStillUseful({
      eventKind: step.eventKind,
      dueAt: new Date(step.at || now),
      now: new Date(now),
      startAt: new Date(snapshot.startAt),
    });
    const start = new Date(snapshot.startAt);
    const order = { priorityKey: sendPriority(start, new Date(now)), order: start.getTime() };
    const ready = st.prepared[key];
    delete st.prepared[key];
    // Left to the dispatcher and too late now: releasing skips only rows it did not send.
    const outcomes = ready
      ? await (useful ? sendReady(ready.messages, order) : releaseReady(ready.messages, 'expired'))
      : await deliverStep(prepareInputOf(step, now, useful ? undefined : 'expired'), order);
    const at = new Date(Date.now()).toISOString();
    for (const o of outcomes) {
      if (o.state === 'done_before') continue;
      const when = o.state === 'sent' && o.at ? o.at : at;
      st.record({ eventKind: step.eventKind, channel: o.channel, messageId: o.messageId, state: o.state, reason: 'reason' in o ? o.reason : undefined, at: when });
    }
    state.done[key] = outcomes.length ? 'done' : 'nothing';
  }

  function prepareInputOf(step: Step, now: number, forcedSkip?: SkipReason): PrepareInput {
    const round = st.rounds[stepKey(step)];
    return {
      centerId: st.snapshot.centerId,
      appointmentId: st.snapshot.appointmentId,
      eventKind: step.eventKind,
      // A step prepared again after a release needs rows of its own: the released ones stay skipped.
      slot: round ? `${step.slot}@${round}` : step.slot,
      dueAt: new Date(step.at || now).toISOString(),
      recipient: step.recipient,
      forcedSkip: step.skip ?? forcedSkip,
      delayMinutes: step.delayMinutes ?? null,
      ...st.known(),
    };
  }

  /** Prepare and pay a step ahead of its due time (PREPARE_AHEAD_MS). */
  async function prepareAhead(step: Step): Promise<void> {
    st.prepared[stepKey(step)] = { at: step.at, messages: await prepareStep(prepareInputOf(step, Date.now())) };
  }

  /** Prepared steps the new plan no longer sends as prepared are released (see preparedFate). */
  async function releaseStale(steps: Step[], changed: boolean, now: number): Promise<void> {
    for (const [key, ready] of Object.entries(st.prepared)) {
      const step = steps.find((s) => stepKey(s) === key);
      // Prepared by an alert for a step still queued: the queue sends it (onAlert).
      if (state.pending.some((p) => stepKey(p) === key)) continue;
      // #13: due and left to the dispatcher, which may have sent it: a change now does not prepare
      // it again (the patient would get it twice); it is checked after the grace period as planned.
      if (leftToDispatcher(ready.messages) && ready.at <= now && step && !step.skip && st.status !== 'cancelled') continue;
      const fate = preparedFate({ preparedAt: ready.at, step, now, changed, cancelled: st.status === 'cancelled' });
      if (fate.kind === 'keep') continue;
      delete st.prepared[key];
      if (fate.done) state.done[key] = 'done';
      else st.rounds[key] = (st.rounds[key] ?? 0) + 1; // prepared again under a new key
      const outcomes = await releaseReady(ready.messages, fate.reason);
      const at = new Date(Date.now()).toISOString();
      for (const o of outcomes) {
        if (o.state === 'skipped' && o.reason === fate.reason) st.record({ eventKind: key.split('|')[0]!, channel: o.channel, messageId: o.messageId, state: 'skipped', reason: fate.reason, at });
      }
    }
  }

  async function runAction(action: Action): Promise<void> {
    const ids = { centerId: st.snapshot.centerId, appointmentId: st.snapshot.appointmentId };
    if (action.type === 'answer') {
      const { callbackId } = await db.recordPatientAnswer({ ...ids, answer: action.answer, via: action.via, eventId: action.eventId });
      st.record({ eventKind: `patient.${action.answer}`, state: 'received', at: new Date(Date.now()).toISOString(), channel: action.via });
      if (callbackId) inBackground(callbacks.deliverCallback({ callbackId }));
    } else if (action.type === 'attendance') {
      await db.recordAttendance({ ...ids, attended: action.attended });
      if (action.attended) await control.scheduleRecall(ids);
    } else {
      await db.markAppointmentCancelled(ids);
    }
  }

  const { snapshot } = st;
  const oneTask = patched(ONE_TASK_PLAN);
  let lastIds = '';
  /** The ids on their own, before anything else is known; the plan's upsert skips them while unchanged. */
  const upsertIds = () => {
    const pairs = idAttributes(snapshot);
    lastIds = JSON.stringify(pairs);
    upsertSearchAttributes(pairs);
  };
  if (!oneTask) {
    upsertIds();
    // B2-recall: booking this service again supersedes a pending recall.
    if (!input.carried) await control.supersedeRecall({ centerId: snapshot.centerId, appointmentId: snapshot.appointmentId });
  } else if (!input.carried) {
    const known = st.known();
    const policy = await db.loadAppointmentPolicy({ centerId: snapshot.centerId, appointmentId: snapshot.appointmentId, ...known, newAppointment: true });
    // A change or policy signal that arrived meanwhile wants a newer read: the loop and the
    // prepares make it (X3). Otherwise a booking event without channels is done: its prepare
    // would find none.
    if (JSON.stringify(st.known()) === JSON.stringify(known)) {
      st.policy = policy;
      const silent: string[] = policy.silentBookingEvents ?? [];
      for (const step of state.pending.filter((p) => silent.includes(p.eventKind))) state.done[stepKey(step)] = 'nothing';
      state.pending = state.pending.filter((p) => !silent.includes(p.eventKind));
    }
    // Booking notices go out before the first plan, and a slow or failing provider can hold them
    // for long: the ids are upserted first, so the Web UI finds the appointment meanwhile. With
    // nothing to send, the plan's single upsert below carries them.
    if (st.hasWork()) upsertIds();
  }

  for (;;) {
    // Record what happened (actions) before telling anyone about it (pending messages), also for
    // signals that arrive while a message is going out.
    while (st.hasWork()) {
      if (state.actions.length) await runAction(state.actions.shift()!);
      else await deliver(state.pending.shift()!, Date.now());
    }

    // An alert, an answer or attendance changes no policy: only timers and changes read it again.
    st.policy ??= await db.loadAppointmentPolicy({ centerId: st.snapshot.centerId, appointmentId: st.snapshot.appointmentId, ...st.known() });
    const now = Date.now();
    const current = st.snapshot;
    const planned = planAppointment({
      status: st.status,
      startAt: new Date(current.startAt),
      endAt: new Date(current.endAt),
      bookedAt: new Date(current.bookedAt),
      policy: st.policy,
      now: new Date(now),
      reminderSent: st.anyDone('appointment.reminder'),
      lastChangeAt: state.lastChangeAt,
    });
    st.planned = planned;
    await releaseStale(planned, st.changed, now);
    st.changed = false;
    for (const step of planned) {
      const key = stepKey(step);
      if (state.done[key]) continue;
      if (step.skip || actAt(step) <= now) await deliver(step, Date.now());
      else if (!st.prepared[key] && step.at - now <= PREPARE_AHEAD_MS) await prepareAhead(step);
    }
    const waiting = planned.filter((s) => !st.isDone(s));
    const next = waiting.length ? Math.min(...waiting.map(actAt)) : null;
    const toPrepare = waiting.filter((s) => !s.skip && !st.prepared[stepKey(s)]).map((s) => s.at - PREPARE_AHEAD_MS);
    // X6: only real changes, so an idle wake-up adds no history event.
    const upserts: SearchAttributeUpdatePair[][] = [];
    const idPairs = idAttributes(st.snapshot);
    const ids = JSON.stringify(idPairs);
    if (ids !== lastIds) {
      lastIds = ids; // the first plan, or a new resource
      upserts.push(idPairs);
    }
    // NextMessageAt: the next message not yet prepared. A prepared message is known to the
    // database already, so sending it at its due time changes no attribute: no upsert (no
    // visibility write) on the hot path of a burst (#13).
    const unprepared = waiting.filter((s) => !st.prepared[stepKey(s)]).map((s) => s.at);
    const nextUnprepared = unprepared.length ? Math.min(...unprepared) : null;
    const attributes = `${st.snapshot.startAt}|${st.status}|${nextUnprepared}`;
    if (attributes !== lastAttributes) {
      lastAttributes = attributes;
      upserts.push([
        { key: AppointmentStart, value: new Date(st.snapshot.startAt) },
        { key: AppointmentStatus, value: st.status },
        { key: NextMessageAt, value: nextUnprepared === null ? null : new Date(nextUnprepared) },
      ]);
    }
    if (oneTask && upserts.length) upsertSearchAttributes(upserts.flat());
    else for (const pairs of upserts) upsertSearchAttributes(pairs);

    const closeAt = st.status === 'cancelled' ? Date.now() : new Date(st.snapshot.endAt).getTime() + KEEP_OPEN_AFTER_END_MS;
    const wakeAt = next === null ? closeAt : Math.min(next, ...toPrepare);
    // Waking only to send what is prepared needs no fresh policy: changes since arrive as signals.
    const sendOnly = next !== null && waiting.every((s) => actAt(s) > wakeAt || st.prepared[stepKey(s)]);
    if (next === null && Date.now() >= closeAt && !st.hasWork()) break;

    st.wake = false;
    const nextStep = waiting.find((s) => actAt(s) === next);
    const signalled = await condition(() => st.wake || st.hasWork(), Math.max(1, wakeAt - Date.now()), {
      summary: nextStep ? `next: ${nextStep.eventKind} to ${nextStep.recipient}` : 'waiting for attendance / late changes',
    });
    if (!signalled && !sendOnly) st.policy = null; // a due or preparation time: re-check the policy (X3)

    const info = workflowInfo();
    if ((info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) && background.size === 0) {
      await continueAsNew<typeof appointmentWorkflow>({ snapshot: st.snapshot, carried: state });
    }
  }
  await Promise.all([...background]);
  log.info('appointment workflow finished', { status: st.status });
}
