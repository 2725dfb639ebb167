import type { PasswordMessageRequest } from '../engine/port.js';
import { deliverStep, type MessageOutcome } from './saga.js';

/**
 * B7: one password / set-up message to a patient or a resource. The input holds only ids and an
 * opaque reference to the encrypted secret; the send activity reads it and then discards it.
 */
export async function passwordMessageWorkflow(request: PasswordMessageRequest): Promise<MessageOutcome[]> {
  return deliverStep({
    centerId: request.centerId,
    appointmentId: null,
    eventKind: 'password',
    slot: `request:${request.requestId}`,
    dueAt: new Date(Date.now()).toISOString(),
    recipient: request.recipientKind,
    ...(request.recipientKind === 'patient' ? { patientId: request.recipientId } : { resourceId: request.recipientId }),
    secretRef: request.secretRef,
  });
}
