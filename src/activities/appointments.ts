import { createHmac } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BOOKING_EVENTS, type EventKind } from '../domain/events.js';
import { isUnreliable } from '../domain/reliability.js';
import { recallDueAt, recallIntervalDays } from '../domain/schedule.js';
import { OutboundRefused, safePost } from '../channels/safe-post.js';
import { loadEventSettings } from '../db/event-settings.js';
import { Appointment, CallbackDelivery, Center, Service } from '../db/entities/index.js';
import { recallSuperseded, recallWorkflowId, type RecallInput } from '../workflows/definitions.js';
import type { ActivityDeps } from './deps.js';
import { notifyCenter } from './notices.js';
import { requireFresh } from './freshness.js';
import type { AppointmentPolicy, CenterPolicy, KnownVersions } from './types.js';

type Ids = { centerId: string; appointmentId: string };

/** The event settings an appointment's plan reads (BOOKING_EVENTS only for a new appointment's first read). */
const PLANNED_EVENTS = ['appointment.reminder', 'appointment.second_reminder', 'appointment.post_visit', 'resource.reminder'] as const;

/** The center's part of the policy, from its settings (see CenterPolicy). */
export async function readCenterPolicy(em: EntityManager, center: Center, extraKinds: readonly EventKind[] = []) {
  const setting = await loadEventSettings(em, center.id, [...PLANNED_EVENTS, ...extraKinds]);
  const reminder = setting('appointment.reminder');
  const second = setting('appointment.second_reminder');
  const postVisit = setting('appointment.post_visit');
  const resourceReminder = setting('resource.reminder');
  const policy: CenterPolicy = {
    timeZone: center.timeZone,
    reminder: { ...reminder.options, channels: reminder.channels },
    secondReminder: { ...second.options, channels: second.channels },
    postVisit: { delayMinutes: postVisit.options.delayMinutes, channels: postVisit.channels },
    resourceReminder: { leadMinutes: resourceReminder.options.leadMinutes, channels: resourceReminder.channels },
  };
  return { policy, setting };
}

/**
 * X3: the center's current policy, read at every wake-up so changes reach booked appointments.
 * `newAppointment` (#13: the first workflow task plans a new appointment with this one local
 * activity): also B2-recall's supersedeRecall, and which booking events have no channels, so the
 * workflow skips their prepare (which would find no channels either, reading the same rows).
 */
export function createLoadAppointmentPolicy(deps: ActivityDeps) {
  return async function loadAppointmentPolicy({ centerId, appointmentId, newAppointment, ...known }: Ids & KnownVersions & { newAppointment?: boolean }): Promise<AppointmentPolicy> {
    const em = deps.orm.em.fork();
    const center = await em.findOneOrFail(Center, { id: centerId });
    const appointment = await em.findOneOrFail(Appointment, { id: appointmentId, centerId });
    requireFresh({ revision: appointment.revision, settingsVersion: center.settingsVersion }, known);
    if (newAppointment) await signalRecallSuperseded(deps, appointment);
    const { policy, setting } = await readCenterPolicy(em, center, newAppointment ? BOOKING_EVENTS : []);
    const past = await em.find(
      Appointment,
      { centerId, patientId: appointment.patientId, id: { $ne: appointmentId }, status: { $in: ['attended', 'no_show'] } },
      { fields: ['status'] },
    );
    return {
      ...policy,
      settingsVersion: center.settingsVersion,
      appointmentStatus: appointment.status,
      unreliable: isUnreliable({ pastAppointments: past.length, noShows: past.filter((a) => a.status === 'no_show').length }),
      ...(newAppointment ? { silentBookingEvents: BOOKING_EVENTS.filter((kind) => setting(kind).channels.length === 0) } : {}),
    };
  };
}

/** B2-confirm: the patient's answer reaches the appointment, the booking system (X4) and, for a cancellation, the center (B6). */
export function createRecordPatientAnswer(deps: ActivityDeps) {
  return async function recordPatientAnswer(input: Ids & { answer: 'confirm' | 'cancel'; via: string; eventId: string }): Promise<{ callbackId: string | null }> {
    const em = deps.orm.em.fork();
    const center = await em.findOneOrFail(Center, { id: input.centerId });
    const appointment = await em.findOneOrFail(Appointment, { id: input.appointmentId, centerId: input.centerId });
    const now = new Date();
    if (input.answer === 'confirm') Object.assign(appointment, { status: 'confirmed', confirmedAt: appointment.confirmedAt ?? now });
    else Object.assign(appointment, { status: 'cancelled', cancelledAt: appointment.cancelledAt ?? now });
    let callbackId: string | null = null;
    if (center.callbackUrl) {
      const eventId = `answer:${input.eventId}`;
      const existing = await em.findOne(CallbackDelivery, { eventId });
      const row =
        existing ??
        em.create(CallbackDelivery, {
          centerId: center.id,
          type: input.answer === 'confirm' ? 'appointment.confirmed' : 'appointment.cancelled',
          eventId,
          payload: { appointmentId: appointment.externalId, via: input.via, at: now.toISOString() },
        });
      callbackId = row.id;
    }
    await em.flush();
    if (input.answer === 'cancel') {
      const when = appointment.startAt.toLocaleString(center.locale === 'it' ? 'it-IT' : 'en-GB', { timeZone: center.timeZone, dateStyle: 'short', timeStyle: 'short' });
      await notifyCenter(deps, em, { centerId: center.id, kind: 'patient_cancelled', slot: appointment.id, detail: when });
    }
    return { callbackId };
  };
}

export function createRecordAttendance(deps: ActivityDeps) {
  return async function recordAttendance(input: Ids & { attended: boolean }): Promise<void> {
    const em = deps.orm.em.fork();
    await em.nativeUpdate(Appointment, { id: input.appointmentId, centerId: input.centerId }, { status: input.attended ? 'attended' : 'no_show' });
  };
}

export function createMarkAppointmentCancelled(deps: ActivityDeps) {
  return async function markAppointmentCancelled(input: Ids): Promise<void> {
    const em = deps.orm.em.fork();
    await em.nativeUpdate(Appointment, { id: input.appointmentId, centerId: input.centerId, cancelledAt: null }, { status: 'cancelled', cancelledAt: new Date() });
  };
}

/** B2-recall: manual > service > center default interval; one recall workflow per patient + service. */
export function createScheduleRecall(deps: ActivityDeps) {
  return async function scheduleRecall(input: Ids): Promise<{ recallWorkflowId: string | null }> {
    const em = deps.orm.em.fork();
    const center = await em.findOneOrFail(Center, { id: input.centerId });
    const appointment = await em.findOneOrFail(Appointment, { id: input.appointmentId, centerId: input.centerId });
    if (!appointment.serviceId) return { recallWorkflowId: null };
    const service = await em.findOneOrFail(Service, { id: appointment.serviceId, centerId: input.centerId });
    const recall = (await loadEventSettings(em, input.centerId, ['recall']))('recall');
    const days = recallIntervalDays({
      manualDays: appointment.manualRecallDays,
      serviceDays: service.recallIntervalDays,
      centerDefaultDays: recall.options.defaultIntervalDays,
    });
    if (days === null || recall.channels.length === 0) return { recallWorkflowId: null };
    const workflowId = recallWorkflowId(input.centerId, appointment.patientId, service.id);
    const args: RecallInput = {
      centerId: input.centerId,
      patientId: appointment.patientId,
      serviceId: service.id,
      appointmentId: appointment.id,
      dueAt: recallDueAt({ lastEndAt: appointment.endAt, intervalDays: days, timeZone: center.timeZone }).toISOString(),
    };
    await deps.temporal.workflow.start('recallWorkflow', {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [args],
      // A newer attended visit restarts the count.
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
      staticSummary: `recall after ${days} days`,
    });
    return { recallWorkflowId: workflowId };
  };
}

/** B2-recall: a new booking of the same service supersedes the pending recall. */
export function createSupersedeRecall(deps: ActivityDeps) {
  return async function supersedeRecall(input: Ids): Promise<void> {
    const em = deps.orm.em.fork();
    await signalRecallSuperseded(deps, await em.findOneOrFail(Appointment, { id: input.appointmentId, centerId: input.centerId }));
  };
}

/** Tells the recall of this patient and service, if one is pending, that it is superseded. */
async function signalRecallSuperseded(deps: ActivityDeps, appointment: Appointment): Promise<void> {
  if (!appointment.serviceId) return;
  const handle = deps.temporal.workflow.getHandle(recallWorkflowId(appointment.centerId, appointment.patientId, appointment.serviceId));
  try {
    await handle.signal(recallSuperseded, { appointmentId: appointment.id });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return; // nothing pending
    throw err;
  }
}

/**
 * X4: POST the event to the booking system, signed `t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`,
 * only to a destination the worker may reach (https, public addresses; see channels/safe-post.ts).
 */
export function createDeliverCallback(deps: ActivityDeps) {
  const policy = deps.callbackPolicy ?? { allowLoopback: false };
  return async function deliverCallback({ callbackId }: { callbackId: string }): Promise<void> {
    const em = deps.orm.em.fork();
    const delivery = await em.findOneOrFail(CallbackDelivery, { id: callbackId });
    if (delivery.deliveredAt) return;
    const center = await em.findOneOrFail(Center, { id: delivery.centerId });
    if (!center.callbackUrl || !center.callbackSecret) return;
    const body = JSON.stringify({ id: delivery.eventId, type: delivery.type, data: delivery.payload });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', center.callbackSecret).update(`${timestamp}.${body}`).digest('hex');
    delivery.attempts += 1;
    let failure: string | null = null;
    try {
      const response = await safePost(
        center.callbackUrl,
        { headers: { 'content-type': 'application/json', 'x-comms-signature': `t=${timestamp},v1=${signature}`, 'x-comms-event-id': delivery.eventId }, body },
        { policy, timeoutMs: 10_000, maxResponseBytes: 64 * 1024 },
      );
      // A redirect is a failed delivery, not followed: it could lead anywhere.
      if (response.status < 200 || response.status >= 300) failure = `HTTP ${response.status}`;
    } catch (err) {
      failure = err instanceof OutboundRefused ? `refused: ${err.message}` : err instanceof Error ? err.name : 'network error';
    }
    delivery.lastError = failure;
    if (!failure) delivery.deliveredAt = new Date();
    await em.flush();
    // Retried even when refused: the center can correct its URL and the next attempt reads it again.
    if (failure) throw ApplicationFailure.retryable(`booking system did not accept the callback: ${failure}`, 'callback_rejected');
  };
}

