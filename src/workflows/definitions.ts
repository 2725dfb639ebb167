import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CenterPolicy, ReadyMessage } from '../activities/types.js';
import type { AlertProgress, AnswerVia, AppointmentSnapshot, PatientAnswer, TimelineEntry } from '../engine/port.js';

/**
 * Messages into the workflows, typed once and used by the engine client (API side) through
 * `getHandle(...).signal(...)`. Payloads are ids, times, flags and center settings: no patient data.
 */
export const appointmentChanged = defineSignal<[AppointmentSnapshot]>('appointmentChanged');
export const appointmentCancelled = defineSignal<[{ eventId: string; reason: 'booking' | 'absence' | 'erased' }]>('appointmentCancelled');
export const patientAnswered = defineSignal<[{ eventId: string; answer: PatientAnswer; via: AnswerVia }]>('patientAnswered');
export const attendanceRecorded = defineSignal<[{ eventId: string; attended: boolean }]>('attendanceRecorded');
/** B4: `ready` (message ids only) when the alert prepared and paid the patient's message already: the workflow only sends it. */
export const resourceAlerted = defineSignal<[{ alertId: string; kind: 'delay' | 'absence'; delayMinutes: number | null; ready?: ReadyMessage[] }]>('resourceAlerted');
/**
 * X3: the center's settings changed; `settingsVersion` is absent only in histories recorded before
 * it existed. `policy`: the center's settings at that version (no patient data), from the fan-out.
 */
export const policyChanged = defineSignal<[PolicyChange?]>('policyChanged');
export interface PolicyChange {
  settingsVersion?: number;
  policy?: CenterPolicy;
}
export const recallSuperseded = defineSignal<[{ appointmentId: string }]>('recallSuperseded');

export const timelineQuery = defineQuery<TimelineEntry[]>('timeline');
export const alertProgressQuery = defineQuery<AlertProgress>('alertProgress');

export const appointmentWorkflowId = (centerId: string, appointmentId: string) => `appointment-${centerId}-${appointmentId}`;
export const recallWorkflowId = (centerId: string, patientId: string, serviceId: string) => `recall-${centerId}-${patientId}-${serviceId}`;
export const alertWorkflowId = (centerId: string, alertId: string) => `alert-${centerId}-${alertId}`;
export const policyFanoutWorkflowId = (centerId: string, settingsVersion: number) => `policy-${centerId}-v${settingsVersion}`;
export const callbackWorkflowId = (centerId: string, callbackId: string) => `callback-${centerId}-${callbackId}`;

export interface RecallInput {
  centerId: string;
  patientId: string;
  serviceId: string;
  /** The attended appointment the recall counts from. */
  appointmentId: string;
  dueAt: string;
}

export interface AlertInput {
  centerId: string;
  alertId: string;
  resourceId: string;
  day: string;
  kind: 'delay' | 'absence';
  delayMinutes: number | null;
}
