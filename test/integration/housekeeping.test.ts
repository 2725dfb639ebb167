import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Center, MessageSecret, PolicyFanout } from '../../src/db/entities/index.js';
import type { MikroORM } from '../../src/db/orm.js';
import { createSecretStash } from '../../src/db/secret-stash.js';
import { startHousekeeping } from '../../src/housekeeping.js';
import { freshDatabase } from '../support/db.js';

let orm: MikroORM;
let close: () => Promise<void>;
beforeAll(async () => ({ orm, close } = await freshDatabase()));
afterAll(() => close());

describe('worker housekeeping', () => {
  it('B7: a password that never went out is deleted once it expires; live ones stay; the log says how many, never what', async () => {
    const em = orm.em.fork();
    const center = em.create(Center, { name: 'Pulizie', phone: '+390600000000', adminEmails: ['a@clinic.test'] });
    await em.flush();
    const secrets = createSecretStash({ orm, key: 'housekeeping-test-key-0123456789abcdef' });
    const hour = 3600_000;
    const expired = await secrets.put({ centerId: center.id, secret: { password: 'Old-Pass-1' }, expiresAt: new Date(Date.now() - hour) });
    const live = await secrets.put({ centerId: center.id, secret: { password: 'New-Pass-2' }, expiresAt: new Date(Date.now() + hour) });

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
    const housekeeping = startHousekeeping({ orm, secrets, logger, everyMs: 60_000 });
    try {
      // The first run happens at start, without waiting for the interval.
      await expect.poll(() => orm.em.fork().count(MessageSecret, { id: expired }), { timeout: 5_000 }).toBe(0);
      expect(await orm.em.fork().count(MessageSecret, { id: live })).toBe(1);
      expect(await secrets.peek(orm.em.fork(), center.id, live)).toEqual({ password: 'New-Pass-2' });
      expect(await housekeeping.runOnce()).toBe(0); // nothing left to purge: idempotent
    } finally {
      housekeeping.stop();
    }
    const log = lines.join('');
    expect(log).toContain('"purged":1');
    expect(log).not.toContain('Pass');
  });

  it('X3: a settings fan-out’s progress row is deleted a week after its run finished; a recent or running one stays', async () => {
    const em = orm.em.fork();
    const center = em.create(Center, { name: 'Ventaglio', phone: '+390600000001', adminEmails: ['b@clinic.test'] });
    await em.flush();
    const day = 86_400_000;
    const row = (version: number, finishedAt: Date | null) =>
      em.create(PolicyFanout, { centerId: center.id, settingsVersion: version, total: 3, signalled: finishedAt ? 3 : 1, finishedAt });
    row(1, new Date(Date.now() - 8 * day));
    row(2, new Date(Date.now() - 6 * day));
    row(3, null);
    await em.flush();
    const secrets = createSecretStash({ orm, key: 'housekeeping-test-key-0123456789abcdef' });
    const housekeeping = startHousekeeping({ orm, secrets, logger: pino({ level: 'silent' }), everyMs: 60_000 });
    try {
      await expect.poll(async () => (await orm.em.fork().find(PolicyFanout, { centerId: center.id })).map((r) => r.settingsVersion).sort(), { timeout: 5_000 }).toEqual([2, 3]);
    } finally {
      housekeeping.stop();
    }
  });
});
