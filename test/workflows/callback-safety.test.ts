import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackDelivery } from '../../src/db/entities/index.js';
import { book, createFixture, eventually, startEngineHarness, type EngineHarness } from '../support/engine.js';
import { startHookServer, type HookServer } from '../support/hook-server.js';

const DAY = 24 * 3600_000;
const SECRET = 'callback-secret-0123456789abcdef';

/**
 * X4 through the real engine: a patient confirms (the Engine port call the confirm link makes),
 * the appointment workflow records it and its callback activity POSTs to the center's URL.
 * These URLs point to a server on this machine; the API refuses to save them (see
 * api-outbound-costs.test.ts), so they stand for rows saved before that check existed.
 */
async function confirmWithCallbackTo(h: EngineHarness, url: string) {
  const f = await createFixture(h, { center: { callbackUrl: url, callbackSecret: SECRET } });
  const { appointment } = await book(h, f, { startInMs: 3 * DAY });
  await h.engine.patientAnswered(f.center.id, appointment.id, 'confirm', 'link', `link:${appointment.id}`);
  const delivery = () => h.db.orm.em.fork().findOne(CallbackDelivery, { centerId: f.center.id });
  return { delivery };
}

describe('X4: callbacks to a local address without the loopback allowance (production)', () => {
  let h: EngineHarness;
  let hooks: HookServer;
  beforeAll(async () => {
    h = await startEngineHarness();
    hooks = await startHookServer();
  }, 180_000);
  afterAll(async () => {
    await hooks?.stop();
    await h?.stop();
  });

  it('X4: a callback URL on loopback is refused, never POSTed, and the refusal is recorded', async () => {
    const { delivery } = await confirmWithCallbackTo(h, `${hooks.url}/hook`);
    const row = await eventually(delivery, (d) => (d?.attempts ?? 0) >= 1);
    expect(row?.deliveredAt).toBeNull();
    expect(row?.lastError).toMatch(/^refused: callback URL must be an https URL/);
    expect(hooks.received).toEqual([]);
  });

  it('X4: an https URL with a loopback address in another spelling is refused too', async () => {
    const { delivery } = await confirmWithCallbackTo(h, `https://2130706433:${hooks.port}/hook`);
    const row = await eventually(delivery, (d) => (d?.attempts ?? 0) >= 1);
    expect(row?.lastError).toBe('refused: callback URL must not point to a loopback address');
    expect(hooks.received).toEqual([]);
  });
});

describe('X4: callbacks where the local stack allows loopback', () => {
  let h: EngineHarness;
  let hooks: HookServer;
  beforeAll(async () => {
    h = await startEngineHarness({ callbackPolicy: { allowLoopback: true } });
    hooks = await startHookServer();
  }, 180_000);
  afterAll(async () => {
    await hooks?.stop();
    await h?.stop();
  });

  it('X4: the same local URL is POSTed, signed, once', async () => {
    const { delivery } = await confirmWithCallbackTo(h, `${hooks.url}/hook`);
    const row = await eventually(delivery, (d) => d?.deliveredAt != null);
    expect(row?.lastError).toBeNull();
    const posts = hooks.received.filter((r) => r.path === '/hook');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers['x-comms-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(JSON.parse(posts[0]!.body)).toMatchObject({ type: 'appointment.confirmed', data: { via: 'link' } });
  });

  it('X4: a redirect is a failed delivery: not followed, retried', async () => {
    const { delivery } = await confirmWithCallbackTo(h, `${hooks.url}/redirect`);
    // The second attempt comes after the 10-second backoff.
    const row = await eventually(delivery, (d) => (d?.attempts ?? 0) >= 2, 45_000);
    expect(row?.deliveredAt).toBeNull();
    expect(row?.lastError).toBe('HTTP 302');
    expect(hooks.paths().filter((p) => p === '/redirect').length).toBeGreaterThanOrEqual(2);
    expect(hooks.paths()).not.toContain('/target');
  });
});
