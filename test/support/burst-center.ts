import { randomUUID } from 'node:crypto';
import { topUp } from '../../src/db/credits.js';
import { Appointment, Center, EventSetting, Location, Patient, Resource, Service } from '../../src/db/entities/index.js';
import type { MikroORM } from '../../src/db/orm.js';
import { EVENT_KINDS, type Channel } from '../../src/domain/events.js';
import type { Engine } from '../../src/engine/port.js';
import { snapshotOf } from '../../src/engine/snapshot.js';

export type BurstCenter = Awaited<ReturnType<typeof burstCenter>>;

/**
 * A center for a burst of booking notices: `patients` patients (own address and number each),
 * `appointment.created` on `channels`, every other event off, 1000 credits (1 per message).
 */
export async function burstCenter(orm: MikroORM, options: { name: string; patients: number; channels: Channel[] }) {
  const em = orm.em.fork();
  const center = em.create(Center, { name: options.name, phone: '+390612345678', adminEmails: [], priceEmail: 1, priceSmsSegment: 1 });
  const resource = em.create(Resource, { centerId: center.id, externalId: `r-${randomUUID()}`, name: 'Dott. Rossi' });
  const service = em.create(Service, { centerId: center.id, externalId: `s-${randomUUID()}`, name: 'Visita', price: '80.00', durationMinutes: 30 });
  const location = em.create(Location, { centerId: center.id, externalId: `l-${randomUUID()}`, site: 'Sede' });
  const patients = Array.from({ length: options.patients }, (_, i) =>
    em.create(Patient, {
      centerId: center.id, externalId: `p-${randomUUID()}`, firstName: `P${i}`, lastName: 'Test',
      email: `p${i}-${center.id.slice(0, 8)}@example.com`, mobile: `+39333${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, privacyConsent: true,
    }),
  );
  for (const eventKind of EVENT_KINDS) em.create(EventSetting, { centerId: center.id, eventKind, channels: eventKind === 'appointment.created' ? options.channels : [], options: {} });
  await em.flush();
  await topUp(em, { centerId: center.id, amount: 1000, note: 'test' });
  return { center, resource, service, location, patients };
}

/**
 * Books one appointment per patient of a burst center (`slot(i)` gives the i-th one's start and
 * end), committed first and then told to the engine, the order the outbox keeps.
 */
export async function bookBurst(orm: MikroORM, engine: Engine, f: BurstCenter, slot: (i: number) => { startAt: number; endAt: number }): Promise<Appointment[]> {
  const em = orm.em.fork();
  const rows = f.patients.map((patient, i) =>
    em.create(Appointment, {
      centerId: f.center.id, externalId: `a-${randomUUID()}`, patientId: patient.id, resourceId: f.resource.id, serviceId: f.service.id,
      locationId: f.location.id, startAt: new Date(slot(i).startAt), endAt: new Date(slot(i).endAt), bookedAt: new Date(), bookedOnline: false, revision: 1,
    }),
  );
  await em.flush();
  const externalIds = new Map(f.patients.map((p) => [p.id, p.externalId]));
  await Promise.all(rows.map((row) => engine.appointmentChanged(snapshotOf(row, { patient: externalIds.get(row.patientId)!, resource: f.resource.externalId }), { created: true })));
  return rows;
}
