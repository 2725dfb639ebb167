import type { EntityManager } from '@mikro-orm/postgresql';
import { defaultTemplate } from '../domain/default-templates.js';
import type { Channel, EventKind, Locale } from '../domain/events.js';
import { renderTemplate } from '../domain/placeholders.js';
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

export async function loadSubject(
  em: EntityManager,
  centerId: string,
  appointmentId: string | null,
  recipients: { patientId?: string | undefined; resourceId?: string | undefined } = {},
): Promise<MessageSubject> {
  const center = await em.findOneOrFail(Center, { id: centerId });
  const appointment = appointmentId ? await em.findOne(Appointment, { id: appointmentId, centerId }) : null;
  const scoped = <T>(id: string | null | undefined, load: (id: string) => Promise<T | null>) => (id ? load(id) : Promise.resolve(null));
  const [patient, resource, service, location] = await Promise.all([
    scoped(recipients.patientId ?? appointment?.patientId, (id) => em.findOne(Patient, { id, centerId })),
    scoped(recipients.resourceId ?? appointment?.resourceId, (id) => em.findOne(Resource, { id, centerId })),
    scoped(appointment?.serviceId, (id) => em.findOne(Service, { id, centerId })),
    scoped(appointment?.locationId, (id) => em.findOne(Location, { id, centerId })),
  ]);
  return { center, appointment, patient, resource, service, location };
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

export function render(text: string, ctx: RenderContext, options: { locale: Locale; timeZone: string; redact?: boolean; spoken?: boolean }): string {
  return renderTemplate(text, ctx, options);
}
