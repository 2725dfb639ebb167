import { Appointment } from '../db/entities/index.js';
import type { EngineCommand } from '../engine/commands.js';
import { snapshotOf } from '../engine/snapshot.js';

/**
 * The rules of one appointment write (B1, X5), shared by `PUT /v1/appointments/{id}` and each
 * item of `POST /v1/appointments:batch`: the handlers only read, lock, resolve and answer.
 */

/** What the booking system sends for one appointment (validated by the route's schema). */
export interface AppointmentWrite {
  revision: number;
  patientId: string;
  resourceId?: string | null | undefined;
  serviceId?: string | null | undefined;
  locationId?: string | null | undefined;
  startAt: string;
  endAt: string;
  notes?: string | null | undefined;
  group?: string | null | undefined;
  priceList?: string | null | undefined;
  bookedOnline: boolean;
  bookedAt?: string | undefined;
}

/** The uuids of the rows the write points at, resolved within the caller's center. */
export interface AppointmentRefs {
  patientId: string;
  resourceId: string | null;
  serviceId: string | null;
  locationId: string | null;
}

export type WriteOutcome = 'created' | 'updated' | 'ignored' | 'cancelled';

export const CANCELLED_DETAIL = 'The appointment is cancelled; a cancelled appointment cannot be modified. Book a new one.';

/** X5: a revision not above the stored one changes nothing; a cancelled appointment stays so. */
export function writeOutcome(existing: Appointment | null, revision: number): WriteOutcome {
  if (!existing) return 'created';
  if (revision <= existing.revision) return 'ignored';
  return existing.status === 'cancelled' ? 'cancelled' : 'updated';
}

/**
 * The row as the write leaves it: a new one (not yet persisted) or the stored one, modified.
 * Pure: the caller persists it (a batch, in its transaction) or writes it in one statement (a PUT).
 */
export function applyWrite(target: { centerId: string; externalId: string; existing: Appointment | null }, body: AppointmentWrite, refs: AppointmentRefs, now: Date): Appointment {
  const { centerId, externalId, existing } = target;
  const startAt = new Date(body.startAt);
  const row = existing ?? Object.assign(new Appointment(), { centerId, externalId, bookedAt: now });
  // A confirmation was for the old time: a moved appointment asks again (B2-confirm).
  if (existing && existing.startAt.getTime() !== startAt.getTime() && existing.status === 'confirmed') {
    row.status = 'booked';
    row.confirmedAt = null;
  }
  Object.assign(row, refs);
  row.startAt = startAt;
  row.endAt = new Date(body.endAt);
  row.notes = body.notes ?? null;
  row.groupName = body.group ?? null;
  row.priceList = body.priceList ?? null;
  row.bookedOnline = body.bookedOnline;
  if (body.bookedAt !== undefined) row.bookedAt = new Date(body.bookedAt);
  row.revision = body.revision;
  return row;
}

/** The engine command of a flushed write: ids and times only, with the booking system's ids. */
export function changedCommand(row: Appointment, body: AppointmentWrite, created: boolean): EngineCommand {
  return { type: 'appointmentChanged', snapshot: snapshotOf(row, { patient: body.patientId, resource: body.resourceId ?? null }), created };
}

/** The answer's references: every one was just resolved from the body's ids, so no lookup back. */
export function bodyRefs(body: AppointmentWrite): { patientId: string; resourceId: string | null; serviceId: string | null; locationId: string | null } {
  return { patientId: body.patientId, resourceId: body.resourceId ?? null, serviceId: body.serviceId ?? null, locationId: body.locationId ?? null };
}
