import type { Channel, EventKind, MessageStatus, SkipReason } from '../domain/events.js';
import type { KnownVersions } from '../domain/freshness.js';
import type { ReminderOptions, SecondReminderOptions } from '../domain/policy.js';
import type { RetentionStep } from '../domain/retention.js';

export type { KnownVersions };

/**
 * The center's part of an appointment's policy: the same for all its appointments, so a settings
 * fan-out reads it once and hands it over in the signal (#8). Settings only, no patient data.
 */
export interface CenterPolicy {
  timeZone: string;
  reminder: ReminderOptions & { channels: Channel[] };
  secondReminder: SecondReminderOptions & { channels: Channel[] };
  postVisit: { delayMinutes: number; channels: Channel[] };
  resourceReminder: { leadMinutes: number; channels: Channel[] };
}

/** What an appointment workflow needs to plan, read fresh at every wake-up (X3). No patient data. */
export interface AppointmentPolicy extends CenterPolicy {
  /** The center's settings version it was read at; absent in results recorded before it existed. */
  settingsVersion?: number;
  /** The row still exists and is not cancelled on the booking side. */
  appointmentStatus: string;
  /** B2-second: no-show ratio ≥ 30 % over past appointments. */
  unreliable: boolean;
  /** Only for a new appointment's first read: which of BOOKING_EVENTS the center sends on no channel. */
  silentBookingEvents?: EventKind[];
}

export type Recipient = 'patient' | 'resource';


export interface PrepareInput extends KnownVersions {
  centerId: string;
  appointmentId: string | null;
  eventKind: EventKind;
  /** Distinguishes repeats of one event (revision, due time, alert id): part of the idempotency key. */
  slot: string;
  dueAt: string;
  recipient: Recipient;
  /** Recall and password messages name their recipient directly. */
  patientId?: string;
  resourceId?: string;
  /** B7: the stashed secret ([PASSWORD] / [SETUP_URL]) the message carries. */
  secretRef?: string;
  /** Record the message as skipped for this reason (e.g. expired, X2) instead of applying the rules. */
  forcedSkip?: SkipReason;
  /** B4: render the start as start + delay. */
  delayMinutes?: number | null;
}

export interface PreparedMessage {
  messageId: string;
  channel: Channel;
  status: MessageStatus;
  reason: SkipReason | null;
  /** An email prepared ahead of its due time without a stashed secret: what a dispatcher may send (store.claimDueEmails). */
  dispatchable?: true;
}

/** A prepared and paid message: only the send is left ('ready'), or nothing is. */
export type ReadyMessage =
  /** `dispatched`: an email the dispatcher of a worker will send at its due time (src/messages/dispatcher.ts). */
  | { messageId: string; channel: Channel; state: 'ready'; dispatched?: boolean }
  | { messageId: string; channel: Channel; state: 'done_before' }
  | { messageId: string; channel: Channel; state: 'skipped'; reason: string };

export interface DebitResult {
  ok: boolean;
  reason: SkipReason | null;
}

import type { SendOutcome } from '../messages/send.js';
export type { SendOutcome };

/** The activity functions as workflows see them (`proxyActivities<EngineActivities>`). */
export interface EngineActivities {
  /** X7: one batch of one retention step; returns the rows changed. */
  retentionBatch(input: { step: RetentionStep; batchSize: number }): Promise<number>;
  loadAppointmentPolicy(input: { centerId: string; appointmentId: string; newAppointment?: boolean } & KnownVersions): Promise<AppointmentPolicy>;
  prepareMessages(input: PrepareInput): Promise<PreparedMessage[]>;
  debitCredits(input: { messageId: string }): Promise<DebitResult>;
  /** prepareMessages then debitCredits for each message to send: one local activity, one round. */
  prepareAndDebit(input: PrepareInput): Promise<ReadyMessage[]>;
  /** `order`: the appointment start (epoch ms); under the SMS / voice pace, lower goes first. `channel`: as prepared (no patient data). */
  sendMessage(input: { messageId: string; order?: number; channel?: Channel }): Promise<SendOutcome>;
  failMessage(input: { messageId: string; reason: string }): Promise<void>;
  releaseMessages(input: { messageIds: string[]; reason: SkipReason }): Promise<string[] | void>;
  recordPatientAnswer(input: { centerId: string; appointmentId: string; answer: 'confirm' | 'cancel'; via: string; eventId: string }): Promise<{ callbackId: string | null }>;
  recordAttendance(input: { centerId: string; appointmentId: string; attended: boolean }): Promise<void>;
  markAppointmentCancelled(input: { centerId: string; appointmentId: string }): Promise<void>;
  deliverCallback(input: { callbackId: string }): Promise<void>;
  scheduleRecall(input: { centerId: string; appointmentId: string }): Promise<{ recallWorkflowId: string | null }>;
  supersedeRecall(input: { centerId: string; appointmentId: string }): Promise<void>;
  findAlertAppointments(input: { centerId: string; resourceId: string; day: string }): Promise<string[]>;
  signalAlert(input: { centerId: string; alertId: string; appointmentIds: string[]; kind: 'delay' | 'absence'; delayMinutes: number | null }): Promise<number>;
  recordAlertProgress(input: { centerId: string; alertId: string; affected: number; notified: number }): Promise<void>;
  signalPolicyChanged(input: { centerId: string; settingsVersion: number }): Promise<{ signalled: number; pages: number }>;
}
