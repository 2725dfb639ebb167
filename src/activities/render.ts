import type { EntityManager } from '@mikro-orm/postgresql';
import { defaultTemplate } from '../domain/default-templates.js';
import type { Channel, EventKind, Locale } from '../domain/events.js';
import type { RenderContext, RenderExtra } from '../domain/render-context.js';
import { Appointment, Center, Location, Patient, Resource, Service, Template } from '../db/entities/index.js';

/** The rows one message is about, loaded once per step. */
export interface MessageSubject {
  center: Center;
  appointment: Appointment | null;
  patient: Patient | null;
  resource: Resource | null;
  service: Service | null;
  location: Location | null;
}

/**
 * The center, the appointment and the people and places it names, in one query (the hot path of
 * every message): each row comes back as JSON and is mapped to its entity. All scoped by center.
 */
export async function loadSubject(
  em: EntityManager,
  centerId: string,
  appointmentId: string | null,
  recipients: { patientId?: string | undefined; resourceId?: string | undefined } = {},
): Promise<MessageSubject> {
  const [row] = await em.getConnection().execute<Array<Record<string, Record<string, unknown> | null>>>(
    `select to_jsonb(c) as center, to_jsonb(a) as appointment, to_jsonb(p) as patient, to_jsonb(r) as resource,
            -- a decimal price stays a string, as the entity has it
            to_jsonb(s) || jsonb_build_object('price', s.price::text) as service, to_jsonb(l) as location
       from centers c
       left join appointments a on a.id = ?::uuid and a.center_id = c.id
       left join patients p on p.id = coalesce(?::uuid, a.patient_id) and p.center_id = c.id
       left join resources r on r.id = coalesce(?::uuid, a.resource_id) and r.center_id = c.id
       left join services s on s.id = a.service_id and s.center_id = c.id
       left join locations l on l.id = a.location_id and l.center_id = c.id
      where c.id = ?`,
    [appointmentId, recipients.patientId ?? null, recipients.resourceId ?? null, centerId],
  );
  if (!row?.center) throw new Error(`Center ${centerId} not found`);
  return subjectOf(em, row);
}

type SubjectRow = Record<string, Record<string, unknown> | null>;

function subjectOf(em: EntityManager, row: SubjectRow): MessageSubject {
  const as = <T extends object>(entity: new () => T, data: Record<string, unknown> | null | undefined) => (data ? em.map(entity, data) : null);
  return {
    center: em.map(Center, row.center!),
    appointment: as(Appointment, row.appointment),
    patient: as(Patient, row.patient),
    resource: as(Resource, row.resource),
    service: as(Service, row.service),
    location: as(Location, row.location),
  };
}

/** loadSubject for many appointments of one center in one query (B4: an alert's day); by appointment id. */
export async function loadSubjects(em: EntityManager, centerId: string, appointmentIds: string[]): Promise<Map<string, MessageSubject>> {
  const rows = await em.getConnection().execute<Array<SubjectRow & { id: string }>>(
    `select a.id::text as id, to_jsonb(c) as center, to_jsonb(a) as appointment, to_jsonb(p) as patient, to_jsonb(r) as resource,
            to_jsonb(s) || jsonb_build_object('price', s.price::text) as service, to_jsonb(l) as location
       from appointments a
       join centers c on c.id = a.center_id
       left join patients p on p.id = a.patient_id and p.center_id = c.id
       left join resources r on r.id = a.resource_id and r.center_id = c.id
       left join services s on s.id = a.service_id and s.center_id = c.id
       left join locations l on l.id = a.location_id and l.center_id = c.id
      where a.center_id = ? and a.id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
    [centerId, JSON.stringify(appointmentIds)],
  );
  return new Map(rows.map((row) => [row.id, subjectOf(em, row)]));
}

export function renderContext(subject: MessageSubject, extra: RenderExtra & { delayMinutes?: number | null }): RenderContext {
  const { center, appointment, patient, resource, service, location } = subject;
  const shift = (extra.delayMinutes ?? 0) * 60_000;
  return {
    center: { name: center.name, phone: center.phone, website: center.website, currency: center.currency },
    patient: patient && { firstName: patient.firstName, lastName: patient.lastName, mobile: patient.mobile, address: patient.address },
    resource: resource && { name: resource.name, address: resource.address, phone: resource.phone },
    appointment: appointment && {
      // B4: a delay is told as the new time.
      startAt: new Date(appointment.startAt.getTime() + shift),
      endAt: new Date(appointment.endAt.getTime() + shift),
      notes: appointment.notes,
      groupName: appointment.groupName,
      priceList: appointment.priceList,
    },
    service: service && {
      name: service.name,
      price: service.price,
      durationMinutes: service.durationMinutes,
      preparation: service.preparation,
      sendPreparation: service.sendPreparation,
    },
    location: location && { site: location.site, locality: location.locality, phone: location.phone, address: location.address, notes: location.notes },
    extra,
  };
}

/** The center's own template for event × channel × locale, else the built-in default (A4). */
export async function templateFor(
  em: EntityManager,
  input: { centerId: string; eventKind: EventKind; channel: Channel; locale: Locale; requestConfirmation?: boolean; survey?: boolean },
): Promise<{ subject: string | null; body: string }> {
  const custom = await em.findOne(Template, { centerId: input.centerId, eventKind: input.eventKind, channel: input.channel, locale: input.locale });
  if (custom) return { subject: custom.subject, body: custom.body };
  return defaultTemplate(input.eventKind, input.channel, input.locale, {
    requestConfirmation: input.requestConfirmation ?? false,
    survey: input.survey ?? false,
  });
}
