import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findApiKey } from '../../src/db/api-keys.js';
import { ledgerSum } from '../../src/db/credits.js';
import { ApiKey, Center, Location, Patient, Resource, Service } from '../../src/db/entities/index.js';
import type { MikroORM } from '../../src/db/orm.js';
import { DEMO_CENTER_ID, seedDemoCenter } from '../../src/db/seed.js';
import { freshDatabase } from '../support/db.js';

let orm: MikroORM;
let close: () => Promise<void>;
beforeAll(async () => ({ orm, close } = await freshDatabase()));
afterAll(() => close());

describe('local stack: the demo center seed', () => {
  it('F1 A4-prep A4-site: first run creates the demo center with 1000 credits through the ledger, its directory and two keys', async () => {
    const seed = await seedDemoCenter(orm.em.fork(), { adminEmail: 'ops@example.test' });
    expect(seed.created).toBe(true);
    const em = orm.em.fork();
    const center = await em.findOneOrFail(Center, { id: DEMO_CENTER_ID });
    expect(center).toMatchObject({ name: 'Poliambulatorio Demo', timeZone: 'Europe/Rome', locale: 'it', adminEmails: ['ops@example.test'] });
    expect(center.creditBalance).toBe(1000);
    expect(await ledgerSum(em, DEMO_CENTER_ID)).toBe(1000);
    expect(await em.count(Patient, { centerId: DEMO_CENTER_ID })).toBe(1);
    expect(await em.count(Resource, { centerId: DEMO_CENTER_ID })).toBe(1);
    expect(await em.findOneOrFail(Service, { centerId: DEMO_CENTER_ID })).toMatchObject({ sendPreparation: true, preparation: expect.any(String) });
    expect((await em.findOneOrFail(Location, { centerId: DEMO_CENTER_ID })).notes).toMatch(/accettazione/);

    expect(seed.keys).not.toBeNull();
    const admin = await findApiKey(em, seed.keys!.admin);
    const booking = await findApiKey(em, seed.keys!.booking);
    expect([admin?.scope, admin?.centerId]).toEqual(['admin', DEMO_CENTER_ID]);
    expect([booking?.scope, booking?.centerId]).toEqual(['booking', DEMO_CENTER_ID]);
    // Nothing stored in clear.
    const stored = await em.find(ApiKey, { centerId: DEMO_CENTER_ID });
    expect(stored.map((k) => k.hash)).not.toContain(seed.keys!.admin);
  });

  it('F1: a rerun changes nothing: same center, no second top-up, no new keys', async () => {
    const seed = await seedDemoCenter(orm.em.fork());
    expect(seed).toMatchObject({ centerId: DEMO_CENTER_ID, created: false, keys: null });
    const em = orm.em.fork();
    expect(await em.count(Center, {})).toBe(1);
    expect((await em.findOneOrFail(Center, { id: DEMO_CENTER_ID })).creditBalance).toBe(1000);
    expect(await em.count(ApiKey, { centerId: DEMO_CENTER_ID, revokedAt: null })).toBe(2);
  });

  it('Security: fresh keys on request replace the previous demo keys, which stop working', async () => {
    const em = orm.em.fork();
    const before = await em.find(ApiKey, { centerId: DEMO_CENTER_ID, revokedAt: null });
    const seed = await seedDemoCenter(orm.em.fork(), { freshKeys: true });
    expect(seed.keys).not.toBeNull();
    const after = orm.em.fork();
    expect(await findApiKey(after, seed.keys!.booking)).not.toBeNull();
    expect(await after.count(ApiKey, { centerId: DEMO_CENTER_ID, revokedAt: null })).toBe(2);
    const revoked = await after.find(ApiKey, { id: { $in: before.map((k) => k.id) } });
    expect(revoked.every((k) => k.revokedAt !== null)).toBe(true);
  });
});
