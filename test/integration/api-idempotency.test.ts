import { createHash } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretStash } from '../../src/db/secret-stash.js';
import { startHousekeeping } from '../../src/housekeeping.js';
import { apiHarness, PLATFORM_KEY, type ApiHarness } from '../support/api.js';

/** X5 and the keys at rest: what an Idempotency-Key leaves in the database, and for how long. */
describe('X5 security: Idempotency-Key records hold no secret and expire', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness();
  });
  afterAll(() => h?.close());

  const records = (key: string) =>
    h.db.orm.em.getConnection().execute<{ request_hash: string; response_body: string }[]>(`select request_hash, response_body from idempotency_records where key = ?`, [key]);
  /** Moves a record back in time, as if it had been stored `hours` ago. */
  const age = (key: string, hours: number) =>
    h.db.orm.em.getConnection().execute(`update idempotency_records set created_at = now() - make_interval(hours => ?) where key = ?`, [hours, key]);

  it('X5: POST /v1/centers keeps its new keys nowhere; a replay answers the same center and key ids without the keys', async () => {
    const headers = { 'idempotency-key': 'center-once' };
    const first = await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, headers, body: { name: 'Studio Segreto' } });
    expect(first.status).toBe(201);
    const { admin, booking } = first.body.keys;
    expect(admin.key).toMatch(/^ck_admin_/);
    expect(await h.tablesContaining(admin.key)).toEqual([]);
    expect(await h.tablesContaining(booking.key)).toEqual([]);

    const replay = await h.call('POST', '/v1/centers', { key: PLATFORM_KEY, headers, body: { name: 'Studio Segreto' } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.center).toEqual(first.body.center);
    expect(replay.body.keys).toEqual({ admin: { id: admin.id, prefix: admin.prefix }, booking: { id: booking.id, prefix: booking.prefix } });
    expect(JSON.stringify(replay.body)).not.toContain(admin.key);
    // The keys of the first answer work; nothing was made twice.
    expect((await h.call('GET', '/v1/center', { key: admin.key })).body.name).toBe('Studio Segreto');
    const list = await h.call('GET', `/v1/centers/${first.body.center.id}/api-keys`, { key: PLATFORM_KEY });
    expect(list.body.data).toHaveLength(2);
  });

  it('X5: POST /v1/centers/{id}/api-keys: the key is shown once, stored nowhere, and a replay leaves it out', async () => {
    const center = await h.newCenter('Rotazione');
    const headers = { 'idempotency-key': 'rotate-1' };
    const body = { scope: 'booking', name: 'rotated' };
    const first = await h.call('POST', `/v1/centers/${center.id}/api-keys`, { key: PLATFORM_KEY, headers, body });
    expect(first.status).toBe(201);
    expect(await h.tablesContaining(first.body.key)).toEqual([]);
    const replay = await h.call('POST', `/v1/centers/${center.id}/api-keys`, { key: PLATFORM_KEY, headers, body });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual({ id: first.body.id, prefix: first.body.prefix, scope: 'booking' });
    expect((await h.call('GET', '/v1/patients', { key: first.body.key })).status).toBe(200);
  });

  it('X5: the request hash is an HMAC with a server secret, not a digest anyone can recompute from a guessed body', async () => {
    const center = await h.newCenter('Hash');
    const body = JSON.stringify({ centerId: center.id, amount: 5 });
    const res = await h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, headers: { 'idempotency-key': 'hash-1', 'content-type': 'application/json' }, rawBody: body });
    expect(res.status).toBe(201);
    const [record] = await records('hash-1');
    expect(record?.request_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(record?.request_hash).not.toBe(createHash('sha256').update(`POST\n/v1/credits/top-ups\n${body}`).digest('hex'));
    expect(record?.request_hash).not.toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('X5: after 24 h a record is dead: the same key applies the request anew, and housekeeping deletes old records', async () => {
    const center = await h.newCenter('Scadenza');
    const topUp = (key: string) => h.call('POST', '/v1/credits/top-ups', { key: PLATFORM_KEY, headers: { 'idempotency-key': key }, body: { centerId: center.id, amount: 10 } });
    expect((await topUp('ttl-1')).status).toBe(201);
    await age('ttl-1', 23);
    expect((await topUp('ttl-1')).headers.get('idempotent-replayed')).toBe('true');
    expect((await h.call('GET', '/v1/credits', { key: center.adminKey })).body.balance).toBe(10);
    await age('ttl-1', 25);
    const anew = await topUp('ttl-1');
    expect(anew.status).toBe(201);
    expect(anew.headers.get('idempotent-replayed')).toBeNull();
    expect((await h.call('GET', '/v1/credits', { key: center.adminKey })).body.balance).toBe(20);

    expect((await topUp('ttl-2')).status).toBe(201);
    await age('ttl-2', 25);
    expect(await records('ttl-2')).toHaveLength(1);
    const housekeeping = startHousekeeping({
      orm: h.db.orm,
      secrets: createSecretStash({ orm: h.db.orm, key: 'idempotency-test-key-0123456789abcdef' }),
      logger: pino({ level: 'silent' }),
      everyMs: 3600_000,
    });
    try {
      await expect.poll(async () => (await records('ttl-2')).length, { timeout: 5_000 }).toBe(0);
      expect(await records('ttl-1')).toHaveLength(1); // the fresh one stays
    } finally {
      housekeeping.stop();
    }
  });
});
