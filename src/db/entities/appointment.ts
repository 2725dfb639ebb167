import { EntitySchema, type Opt } from '@mikro-orm/core';
import type { AppointmentStatus } from '../../domain/events.js';
import { CenterOwned, centerOwnedProperties } from './base.js';

/** A foreign key read and written as the plain id. */
const ref = (entity: string, fieldName: string, nullable = false) =>
  ({ kind: 'm:1', entity, mapToPk: true, fieldName, nullable, deleteRule: nullable ? 'set null' : 'cascade' }) as const;

export class Appointment extends CenterOwned {
  externalId!: string;
  patientId!: string;
  resourceId: string | null = null;
  serviceId: string | null = null;
  locationId: string | null = null;
  startAt!: Date;
  endAt!: Date;
  status: Opt<AppointmentStatus> = 'booked';
  notes: string | null = null;
  groupName: string | null = null;
  priceList: string | null = null;
  bookedOnline: Opt<boolean> = false;
  /** When the booking system created the appointment (B2-min). */
  bookedAt: Opt<Date> = new Date();
  /** B2-recall: a manual interval beats the service's and the center's default. */
  manualRecallDays: number | null = null;
  /** Booking-system revision; a stale or repeated revision is ignored (X5). */
  revision: Opt<number> = 0;
  confirmedAt: Date | null = null;
  cancelledAt: Date | null = null;
}

export const AppointmentSchema = new EntitySchema<Appointment>({
  class: Appointment,
  tableName: 'appointments',
  uniques: [{ properties: ['centerId', 'externalId'] }],
  indexes: [{ properties: ['centerId', 'resourceId', 'startAt'] }, { properties: ['centerId', 'patientId', 'startAt'] }],
  properties: {
    ...centerOwnedProperties,
    externalId: { type: 'string', length: 100 },
    patientId: ref('Patient', 'patient_id'),
    resourceId: ref('Resource', 'resource_id', true),
    serviceId: ref('Service', 'service_id', true),
    locationId: ref('Location', 'location_id', true),
    startAt: { type: 'Date', columnType: 'timestamptz' },
    endAt: { type: 'Date', columnType: 'timestamptz' },
    status: { type: 'string', length: 12 },
    notes: { type: 'text', nullable: true },
    groupName: { type: 'string', nullable: true },
    priceList: { type: 'string', nullable: true },
    bookedOnline: { type: 'boolean' },
    bookedAt: { type: 'Date', columnType: 'timestamptz' },
    manualRecallDays: { type: 'integer', nullable: true },
    revision: { type: 'integer' },
    confirmedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    cancelledAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});

/** B4: a resource late by N minutes, or absent, on one day. */
export class ResourceAlert extends CenterOwned {
  resourceId!: string;
  /** The day in the center's time zone, yyyy-mm-dd. */
  day!: string;
  kind!: 'delay' | 'absence';
  delayMinutes: number | null = null;
  affectedCount: Opt<number> = 0;
  notifiedCount: Opt<number> = 0;
  /** Set when the fan-out has reached every patient; until then the alert is in progress. */
  finishedAt: Date | null = null;
}

export const ResourceAlertSchema = new EntitySchema<ResourceAlert>({
  class: ResourceAlert,
  tableName: 'resource_alerts',
  // One alert per resource, day and kind: a repeated POST /v1/alerts answers the first (issue 9).
  uniques: [{ properties: ['centerId', 'resourceId', 'day', 'kind'] }],
  properties: {
    ...centerOwnedProperties,
    resourceId: ref('Resource', 'resource_id'),
    day: { type: 'string', length: 10 },
    kind: { type: 'string', length: 10 },
    delayMinutes: { type: 'integer', nullable: true },
    affectedCount: { type: 'integer' },
    notifiedCount: { type: 'integer' },
    finishedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
