import type { SearchAttributePair } from '@temporalio/common';
import type { AppointmentSnapshot } from '../engine/port.js';
import { AppointmentId, CenterId, PatientId, ResourceId } from './search-attributes.js';

/**
 * X6: the ids an operator searches by in the Web UI: the booking system's own (e.g.
 * `AppointmentId = "A-5002"`), or the internal ones for histories that predate them.
 */
export function idAttributes(snapshot: AppointmentSnapshot): SearchAttributePair[] {
  const ids = snapshot.bookingIds;
  const resource = ids ? ids.resource : snapshot.resourceId;
  return [
    { key: CenterId, value: snapshot.centerId },
    { key: AppointmentId, value: ids?.appointment ?? snapshot.appointmentId },
    { key: PatientId, value: ids?.patient ?? snapshot.patientId },
    ...(resource ? [{ key: ResourceId, value: resource }] : []),
  ];
}
