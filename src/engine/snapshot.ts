import type { Appointment } from '../db/entities/index.js';
import type { AppointmentSnapshot, BookingIds } from './port.js';

/** What the workflow may know of an appointment row: ids, times and flags only. */
export function snapshotOf(a: Appointment, bookingIds: Omit<BookingIds, 'appointment'>): AppointmentSnapshot {
  return {
    centerId: a.centerId,
    appointmentId: a.id,
    revision: a.revision,
    patientId: a.patientId,
    resourceId: a.resourceId,
    serviceId: a.serviceId,
    locationId: a.locationId,
    startAt: a.startAt.toISOString(),
    endAt: a.endAt.toISOString(),
    bookedAt: a.bookedAt.toISOString(),
    bookedOnline: a.bookedOnline,
    bookingIds: { appointment: a.externalId, ...bookingIds },
  };
}
