import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel } from '../domain/events.js';
import { recordConsentChange } from './consent-audit.js';
import { Patient, PatientErasure, type ConsentActor } from './entities/index.js';
import { optOutHash } from './opt-out-hash.js';
import { setSenderOptOut } from './sms-replies.js';

export interface ErasureRequest {
  centerId: string;
  /** Internal patient id. */
  patientId: string;
  actor: ConsentActor;
  actorId: string | null;
  at: Date;
}

export interface ErasureOutcome {
  erasure: PatientErasure;
  /** False when the patient had been erased before (nothing changed now). */
  erasedNow: boolean;
  /** Appointments whose workflows must be told to stop (internal ids). */
  stoppedAppointmentIds: string[];
}

/** Which of a patient's addresses an opt-out of a channel blocks. */
const addressesOf = (p: Patient, channel: Channel): (string | null)[] =>
  channel === 'email' ? [p.email] : channel === 'sms' ? [p.mobile] : [p.mobile, p.landline];

/**
 * X7, GDPR art. 17: erases one patient inside the caller's transaction. Opt-outs of the patient's
 * addresses are kept as hashes (the number stays blocked), message texts and addresses are
 * redacted (the metadata stays for the summary and billing), the personal fields are cleared and
 * the patient marked erased (the send path refuses erased patients), its open appointments are
 * cancelled (the caller tells their workflows), and one audit row says who did it and when.
 * Idempotent: a second call finds the audit row and changes nothing.
 */
export async function erasePatient(em: EntityManager, request: ErasureRequest): Promise<ErasureOutcome | null> {
  const { centerId, patientId, at } = request;
  // The row lock makes two concurrent erasures of one patient run one after the other.
  const [locked] = await em.execute<{ id: string }[]>(`select id from patients where id = ? and center_id = ? for update`, [patientId, centerId]);
  if (!locked) return null;
  const previous = await em.findOne(PatientErasure, { centerId, patientId });
  if (previous) return { erasure: previous, erasedNow: false, stoppedAppointmentIds: [] };
  const patient = await em.findOneOrFail(Patient, { id: patientId, centerId }, { refresh: true });

  // Opt-outs: the patient's own, and any for its addresses, become hashed rows.
  const hashed = new Map<string, { channel: string; address: string }>();
  for (const channel of patient.optedOutChannels) {
    for (const address of addressesOf(patient, channel)) if (address) hashed.set(`${channel}|${address}`, { channel, address });
  }
  const addresses = [patient.mobile, patient.landline, patient.email].filter((a): a is string => !!a);
  if (addresses.length) {
    const plain = await em.execute<{ channel: string; address: string }[]>(
      `delete from opt_outs where center_id = ? and address in (${addresses.map(() => '?').join(', ')}) returning channel, address`,
      [centerId, ...addresses],
    );
    for (const row of plain) hashed.set(`${row.channel}|${row.address}`, row);
  }
  for (const { channel, address } of hashed.values()) {
    await em.execute(
      `insert into opt_outs (id, created_at, updated_at, center_id, channel, address, source) values (?, ?, ?, ?, ?, ?, 'erasure')
       on conflict (center_id, channel, address) do nothing`,
      [randomUUID(), at, at, centerId, channel, optOutHash(centerId, address)],
    );
  }

  // STOPs written to a sender (X1, per sender number) stay in force, hashed by that sender.
  if (patient.mobile) {
    const stopped = await em.execute<{ sender: string; source: string }[]>(`delete from sender_opt_outs where address = ? returning sender, source`, [patient.mobile]);
    for (const { sender, source } of stopped) await setSenderOptOut(em, { sender, address: optOutHash(sender, patient.mobile), optedOut: true, source, at });
  }

  const redacted = await em.execute<{ id: string }[]>(
    `update messages set body = null, subject = null, recipient_address = null, updated_at = ?
      where center_id = ? and recipient_kind = 'patient' and recipient_id = ? returning id`,
    [at, centerId, patientId],
  );
  // Every appointment not cancelled may still have a workflow with messages ahead (a reminder, an
  // after-visit message); those still to happen are cancelled, attended ones keep their status.
  const open = await em.execute<{ id: string }[]>(`select id from appointments where center_id = ? and patient_id = ? and status <> 'cancelled'`, [centerId, patientId]);
  await em.execute(
    `update appointments set status = 'cancelled', cancelled_at = ?, updated_at = ? where center_id = ? and patient_id = ? and status in ('booked', 'confirmed')`,
    [at, at, centerId, patientId],
  );

  if (patient.privacyConsent) {
    await recordConsentChange(em, { centerId, patientId, field: 'privacy_consent', oldValue: true, newValue: false, actor: request.actor, actorId: request.actorId, via: 'erasure', at });
  }
  Object.assign(patient, {
    firstName: '',
    lastName: null,
    mobile: null,
    landline: null,
    email: null,
    address: null,
    locale: null,
    channelPreference: 'none',
    privacyConsent: false,
    hasPassword: false,
    optedOutChannels: [],
    erasedAt: at,
    updatedAt: at,
  });
  const erasure = em.create(PatientErasure, {
    centerId,
    patientId,
    actor: request.actor,
    actorId: request.actorId,
    messagesRedacted: redacted.length,
    appointmentsStopped: open.length,
    optOutsKept: hashed.size,
    createdAt: at,
    updatedAt: at,
  });
  await em.flush();
  return { erasure, erasedNow: true, stoppedAppointmentIds: open.map((r) => r.id) };
}
