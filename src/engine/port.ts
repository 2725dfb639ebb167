/**
 * What the API and the webhooks ask of the engine. The Temporal implementation lives in
 * src/engine/temporal-engine.ts; callers depend on this interface only. Commands (everything
 * but the queries `alertProgress` and `timeline`) are never called by a request directly: the
 * request writes them to the outbox (src/engine/commands.ts) and the relay calls them after the
 * commit. Everything here is
 * ids, times and flags: never names, phones, emails or texts (they would land in Temporal).
 */

/** One revision of an appointment as the workflow sees it (ISO-8601 UTC times). */
export interface AppointmentSnapshot {
  centerId: string;
  /** Internal appointment id (uuid). */
  appointmentId: string;
  revision: number;
  patientId: string;
  resourceId: string | null;
  serviceId: string | null;
  locationId: string | null;
  startAt: string;
  endAt: string;
  bookedAt: string;
  bookedOnline: boolean;
  /**
   * The booking system's own ids (what operators know), indexed as search attributes so that
   * `AppointmentId = "A-5002"` finds the workflow in the Web UI. Absent in older histories.
   */
  bookingIds?: BookingIds;
}

export interface BookingIds {
  appointment: string;
  patient: string;
  resource: string | null;
}

export type PatientAnswer = 'confirm' | 'cancel';
export type AnswerVia = 'link' | 'sms' | 'voice' | 'api';

export interface TimelineEntry {
  /** e.g. appointment.reminder */
  eventKind: string;
  /** planned | sent | skipped | failed | cancelled */
  state: string;
  at: string;
  channel?: string;
  reason?: string;
  messageId?: string;
}

export interface AlertProgress {
  alertId: string;
  affected: number;
  notified: number;
  done: boolean;
}

/**
 * B7: one password / set-up-link message. The secret is not here: the API leaves it with a
 * `SecretStash` (src/api/deps.ts) and passes only its opaque reference, which the send
 * activity resolves (and destroys) when it renders the message, so no secret reaches Temporal
 * history and the stored message copy shows it redacted.
 */
export interface PasswordMessageRequest {
  centerId: string;
  /** Unique per API request; the message's idempotency key derives from it. */
  requestId: string;
  recipientKind: 'patient' | 'resource';
  /** Internal patient or resource id. */
  recipientId: string;
  secretRef: string;
  /** What the reference holds, so the template can be chosen without opening it. */
  hasPassword: boolean;
  hasSetupUrl: boolean;
}

export interface Engine {
  /**
   * Created or modified; a repeated or stale revision changes nothing. `created`: the booking
   * side has just inserted it, so a plain start (cheaper) is tried before signal-with-start.
   */
  appointmentChanged(snapshot: AppointmentSnapshot, options?: { created?: boolean }): Promise<void>;
  /** `reason`: cancelled in the booking system (default), or its patient was erased (X7). */
  appointmentCancelled(centerId: string, appointmentId: string, eventId: string, reason?: 'booking' | 'erased'): Promise<void>;
  attendance(centerId: string, appointmentId: string, attended: boolean, eventId: string): Promise<void>;
  patientAnswered(centerId: string, appointmentId: string, answer: PatientAnswer, via: AnswerVia, eventId: string): Promise<void>;
  /** Re-plan every running appointment of the center (X3), outside the caller: a fan-out workflow pages through them. */
  policyChanged(centerId: string, settingsVersion: number): Promise<void>;
  /** B4: starts the fan-out; returns the alert id. */
  resourceAlert(input: { centerId: string; alertId: string; resourceId: string; day: string; kind: 'delay' | 'absence'; delayMinutes: number | null }): Promise<void>;
  alertProgress(centerId: string, alertId: string): Promise<AlertProgress | null>;
  /** X4: deliver a recorded `callback_deliveries` row to the booking system, retried until accepted. */
  deliverCallback(centerId: string, callbackId: string): Promise<void>;
  /** X6: planned, sent and skipped steps; null when the appointment has no workflow. */
  timeline(centerId: string, appointmentId: string): Promise<TimelineEntry[] | null>;
  /** B7: send a password / set-up-link message (optional: absent = the API answers 501). */
  sendPasswordMessage?(request: PasswordMessageRequest): Promise<void>;
}
