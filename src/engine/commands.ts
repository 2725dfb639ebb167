import type { AnswerVia, AppointmentSnapshot, Engine, PasswordMessageRequest, PatientAnswer } from './port.js';

/**
 * What the API and the webhooks tell the engine, as data: written to the outbox in the
 * transaction of the change it announces, delivered after the commit (src/engine/outbox-relay.ts).
 * Ids, times and flags only.
 */
export type EngineCommand =
  | { type: 'appointmentChanged'; snapshot: AppointmentSnapshot; created: boolean }
  | { type: 'appointmentCancelled'; centerId: string; appointmentId: string; eventId: string; reason?: 'booking' | 'erased' }
  | { type: 'attendance'; centerId: string; appointmentId: string; attended: boolean; eventId: string }
  | { type: 'patientAnswered'; centerId: string; appointmentId: string; answer: PatientAnswer; via: AnswerVia; eventId: string }
  | { type: 'policyChanged'; centerId: string; settingsVersion: number }
  | { type: 'resourceAlert'; alert: Parameters<Engine['resourceAlert']>[0] }
  | { type: 'deliverCallback'; centerId: string; callbackId: string }
  | { type: 'sendPasswordMessage'; request: PasswordMessageRequest };

/**
 * Commands of one stream are delivered one at a time and in order: one stream per workflow, so a
 * cancellation never overtakes the start of the workflow it cancels.
 */
export function streamOf(command: EngineCommand): string {
  switch (command.type) {
    case 'appointmentChanged':
      return `appointment:${command.snapshot.centerId}:${command.snapshot.appointmentId}`;
    case 'appointmentCancelled':
    case 'attendance':
    case 'patientAnswered':
      return `appointment:${command.centerId}:${command.appointmentId}`;
    case 'policyChanged':
      return `policy:${command.centerId}`;
    case 'resourceAlert':
      return `alert:${command.alert.centerId}:${command.alert.alertId}`;
    case 'deliverCallback':
      return `callback:${command.centerId}:${command.callbackId}`;
    case 'sendPasswordMessage':
      return `password:${command.request.centerId}:${command.request.requestId}`;
  }
}

/** Delivers one command through the Engine port; every delivery is idempotent (ids, event ids). */
export async function deliverCommand(engine: Engine, command: EngineCommand): Promise<void> {
  switch (command.type) {
    case 'appointmentChanged':
      return engine.appointmentChanged(command.snapshot, { created: command.created });
    case 'appointmentCancelled':
      return engine.appointmentCancelled(command.centerId, command.appointmentId, command.eventId, command.reason ?? 'booking');
    case 'attendance':
      return engine.attendance(command.centerId, command.appointmentId, command.attended, command.eventId);
    case 'patientAnswered':
      return engine.patientAnswered(command.centerId, command.appointmentId, command.answer, command.via, command.eventId);
    case 'policyChanged':
      return engine.policyChanged(command.centerId, command.settingsVersion);
    case 'resourceAlert':
      return engine.resourceAlert(command.alert);
    case 'deliverCallback':
      return engine.deliverCallback(command.centerId, command.callbackId);
    case 'sendPasswordMessage':
      if (!engine.sendPasswordMessage) throw new Error('This engine cannot send password messages');
      return engine.sendPasswordMessage(command.request);
  }
}
