import type { EntityManager } from '@mikro-orm/postgresql';
import { createApiKey } from './api-keys.js';
import { topUp } from './credits.js';
import { ApiKey, Center, CreditEntry, Location, Patient, Resource, Service } from './entities/index.js';

/** Fixed, so every `npm start` finds the same demo center. */
export const DEMO_CENTER_ID = '00000000-0000-4000-8000-00000000de00';
export const DEMO_CREDITS = 1000;
const DEMO_KEY_NAMES = { admin: 'demo admin key', booking: 'demo booking key' } as const;

export interface DemoSeed {
  centerId: string;
  /** True on the first run (the center did not exist). */
  created: boolean;
  /** The demo keys in clear, only when they were created now (first run or `freshKeys`); only their hashes are stored. */
  keys: { admin: string; booking: string } | null;
  /** External ids of the demo directory rows, for the API walkthrough. */
  externalIds: { patient: string; resource: string; service: string; location: string };
}

/**
 * Idempotently creates the local stack's demo center: a clinic in Europe/Rome with 1000 credits
 * (through the ledger), one patient, resource, service (with preparation) and location (with
 * notes), plus an admin and a booking API key. A rerun changes nothing and returns no keys,
 * unless `freshKeys` asks for new ones (the previous demo keys are then revoked).
 */
export async function seedDemoCenter(em: EntityManager, options: { adminEmail?: string; freshKeys?: boolean } = {}): Promise<DemoSeed> {
  const centerId = DEMO_CENTER_ID;
  const externalIds = { patient: 'demo-patient-1', resource: 'demo-resource-1', service: 'demo-service-1', location: 'demo-location-1' };

  const created = await em.transactional(async (tx) => {
    if (await tx.findOne(Center, { id: centerId })) return false;
    tx.create(Center, {
      id: centerId,
      name: 'Poliambulatorio Demo',
      phone: '+39 02 1234567',
      website: 'https://poliambulatorio-demo.example',
      timeZone: 'Europe/Rome',
      locale: 'it',
      emailFromName: 'Poliambulatorio Demo',
      emailFromAddress: 'noreply@poliambulatorio-demo.example',
      emailReplyTo: 'segreteria@poliambulatorio-demo.example',
      smsSenderId: 'PoliDemo',
      voiceCallerNumber: '+390212345678',
      approvedSenders: { emailAddresses: [], emailDomains: ['poliambulatorio-demo.example'], smsSenderIds: ['PoliDemo'], voiceNumbers: ['+390212345678'] },
      adminEmails: [options.adminEmail ?? 'admin@poliambulatorio-demo.example'],
    });
    tx.create(Patient, {
      centerId,
      externalId: externalIds.patient,
      firstName: 'Mario',
      lastName: 'Rossi',
      mobile: '+393331234567',
      email: 'mario.rossi@example.test',
      address: 'Via Roma 1, Milano',
      locale: 'it',
      privacyConsent: true,
    });
    tx.create(Resource, {
      centerId,
      externalId: externalIds.resource,
      name: 'Dott.ssa Anna Bianchi',
      phone: '+39 02 7654321',
      email: 'anna.bianchi@example.test',
      address: 'Via Dante 5, Milano',
    });
    tx.create(Service, {
      centerId,
      externalId: externalIds.service,
      name: 'Ecografia addominale',
      price: '80.00',
      durationMinutes: 30,
      preparation: 'Presentarsi a digiuno da almeno 6 ore, con la vescica piena.',
      sendPreparation: true,
      recallIntervalDays: 365,
    });
    tx.create(Location, {
      centerId,
      externalId: externalIds.location,
      site: 'Sede centrale',
      locality: 'Milano',
      phone: '+39 02 1234567',
      address: 'Via Dante 5, 20121 Milano',
      notes: "Registrarsi all'accettazione 10 minuti prima dell'appuntamento.",
    });
    return true;
  });

  // Outside the creation transaction so topUp keeps its own locking; checked by the ledger itself,
  // so an interrupted first run still gets its credits on the next one.
  if ((await em.count(CreditEntry, { centerId, kind: 'topup' })) === 0) {
    await topUp(em, { centerId, amount: DEMO_CREDITS, note: 'demo credits' });
  }

  const hasKeys = (await em.count(ApiKey, { centerId, revokedAt: null })) > 0;
  let keys: DemoSeed['keys'] = null;
  if (!hasKeys || options.freshKeys) {
    keys = await em.transactional(async (tx) => {
      await tx.nativeUpdate(ApiKey, { centerId, name: { $in: Object.values(DEMO_KEY_NAMES) }, revokedAt: null }, { revokedAt: new Date() });
      const admin = await createApiKey(tx, { centerId, scope: 'admin', name: DEMO_KEY_NAMES.admin });
      const booking = await createApiKey(tx, { centerId, scope: 'booking', name: DEMO_KEY_NAMES.booking });
      return { admin: admin.key, booking: booking.key };
    });
  }
  return { centerId, created, keys, externalIds };
}
