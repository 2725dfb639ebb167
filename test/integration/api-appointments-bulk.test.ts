import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxBacklog } from '../../src/db/outbox.js';
import type { AppointmentSnapshot } from '../../src/engine/port.js';
import { apiHarness, expectProblem, type ApiHarness } from '../support/api.js';
import { twoBookingCenters, type BookingCenter } from '../support/booking-centers.js';
import { statementsOf } from '../support/statements.js';

/** B1 for imports: `POST /v1/appointments:batch`, the rules of a single PUT per item, all or nothing. */
describe('API appointments in batches (B1, X5)', () => {
  let h: ApiHarness;
  let a: BookingCenter;
  let b: BookingCenter;
  const item = (id: string, over: Record<string, unknown> = {}) => ({
    id,
    revision: 1,
    patientId: 'p1',
    resourceId: 'r1',
    serviceId: 's1',
    locationId: 'l1',
    startAt: '2026-12-01T09:00:00+01:00',
    endAt: '2026-12-01T09:30:00+01:00',
    ...over,
  });
  const batch = (items: unknown[], key = a.bookingKey, headers: Record<string, string> = {}) => h.call('POST', '/v1/appointments:batch', { key, body: { items }, headers });

  beforeAll(async () => {
    h = await apiHarness();
    ({ a, b } = await twoBookingCenters(h));
  });
  afterAll(() => h?.close());

  it('B1: a batch creates every appointment, answers each as GET does, and the relay starts one workflow per item after the commit', async () => {
    h.engine.calls = [];
    const items = [item('bulk-1'), item('bulk-2', { patientId: 'p2', resourceId: null, serviceId: null, locationId: null, notes: 'Digiuno' }), item('bulk-3', { bookedOnline: true })];
    const res = await batch(items);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ created: 3, updated: 0, ignored: 0 });
    expect(res.body.results.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
      ['bulk-1', 'created'],
      ['bulk-2', 'created'],
      ['bulk-3', 'created'],
    ]);
    for (const r of res.body.results) expect((await h.call('GET', `/v1/appointments/${r.id}`, { key: a.bookingKey })).body).toEqual(r.appointment);
    expect(res.body.results[1].appointment).toMatchObject({ patientId: 'p2', resourceId: null, notes: 'Digiuno', startAt: '2026-12-01T08:00:00.000Z' });
    // The commands were in the outbox and the relay delivered every one: new workflows, ids only.
    const started = h.engine.callsOf('appointmentChanged') as [AppointmentSnapshot][];
    expect(started.map(([s]) => s.bookingIds!.appointment).sort()).toEqual(['bulk-1', 'bulk-2', 'bulk-3']);
    expect(started.every(([s]) => s.centerId === a.id && s.revision === 1)).toBe(true);
    expect(JSON.stringify(started)).not.toMatch(/Maria|Luca|Digiuno|Bianchi/);
    expect((await outboxBacklog(h.db.orm.em.fork())).pending).toBe(0);
  });

  it('X5 per item: a newer revision modifies, the same or an older one is ignored and answers the stored row; the engine hears only the writes', async () => {
    await batch([item('rev-1', { revision: 3 }), item('rev-2', { revision: 3 })]);
    h.engine.calls = [];
    const res = await batch([
      item('rev-1', { revision: 2, startAt: '2026-12-05T09:00:00Z', endAt: '2026-12-05T09:30:00Z' }),
      item('rev-2', { revision: 4, startAt: '2026-12-06T09:00:00Z', endAt: '2026-12-06T09:30:00Z' }),
      item('rev-3'),
      item('rev-4', { revision: 3 }),
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ created: 2, updated: 1, ignored: 1 });
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['ignored', 'updated', 'created', 'created']);
    expect(res.body.results[0].appointment).toMatchObject({ id: 'rev-1', revision: 3, startAt: '2026-12-01T08:00:00.000Z' });
    expect(res.body.results[1].appointment).toMatchObject({ id: 'rev-2', revision: 4, startAt: '2026-12-06T09:00:00.000Z' });
    const told = (h.engine.callsOf('appointmentChanged') as [AppointmentSnapshot][]).map(([s]) => [s.bookingIds!.appointment, s.revision, s.startAt]);
    expect(told.sort()).toEqual([
      ['rev-2', 4, '2026-12-06T09:00:00.000Z'],
      ['rev-3', 1, '2026-12-01T08:00:00.000Z'],
      ['rev-4', 3, '2026-12-01T08:00:00.000Z'],
    ]);
    // A batch of only stale revisions changes nothing at all.
    const before = await h.fingerprint();
    h.engine.calls = [];
    expect((await batch([item('rev-1', { revision: 3 }), item('rev-2', { revision: 1 })])).body).toMatchObject({ created: 0, updated: 0, ignored: 2 });
    expect(await h.fingerprint()).toBe(before);
    expect(h.engine.calls).toEqual([]);
  });

  it('one bad item → 400/409/422 naming items.<i>.<field>, and nothing of the batch is written nor told', async () => {
    await batch([item('kept-1')]);
    await h.call('POST', '/v1/appointments/kept-1/cancel', { key: a.bookingKey });
    h.engine.calls = [];
    const before = await h.fingerprint();
    const good = item('new-good');
    expectProblem(await batch([good, item('new-2', { endAt: '2026-12-01T08:00:00+01:00' })]), 400, 'items.1.endAt');
    expectProblem(await batch([good, item('new-2', { room: 4 })]), 400, 'items.1.room');
    expectProblem(await batch([good, item('new-2', { revision: '1' })]), 400, 'items.1.revision');
    expectProblem(await batch([good, item('new-good', { revision: 2 })]), 400, 'items.1.id');
    expectProblem(await batch([]), 400, 'items');
    expectProblem(await batch(Array.from({ length: 501 }, (_, i) => item(`many-${i}`))), 400, 'items');
    expectProblem(await h.call('POST', '/v1/appointments:batch', { key: a.bookingKey, body: { items: [good], extra: 1 } }), 400, 'extra');
    // Unknown references: every bad item is named, each by its first unknown field.
    const unknown = await batch([good, item('new-2', { patientId: 'nobody' }), item('new-3'), item('new-4', { serviceId: 'nope', locationId: 'nope' })]);
    expectProblem(unknown, 422, 'items.1.patientId');
    expect(unknown.body.errors.map((e: { field: string }) => e.field)).toEqual(['items.1.patientId', 'items.3.serviceId']);
    // Another center's resource is not there for this center.
    expectProblem(await batch([item('new-2', { resourceId: 'only-in-b' }), good]), 422, 'items.0.resourceId');
    // A cancelled appointment cannot be modified, as with a single PUT.
    expectProblem(await batch([good, item('kept-1', { revision: 2 })]), 409, 'items.1.id');
    expect(await h.fingerprint()).toBe(before);
    expect(h.engine.calls).toEqual([]);
    expect((await outboxBacklog(h.db.orm.em.fork())).pending).toBe(0);
    // Center B cannot touch A's appointments: the same id in B is B's own new appointment.
    const inB = await batch([item('bulk-1', { revision: 9 })], b.bookingKey);
    expect(inB.body.results[0].status).toBe('created');
    expect((await h.call('GET', '/v1/appointments/bulk-1', { key: a.bookingKey })).body.revision).toBe(1);
  });

  it('X5: Idempotency-Key replays the first answer and writes once; the same key with another batch → 422', async () => {
    const headers = { 'idempotency-key': 'import-2026-12-04' };
    const first = await batch([item('idem-1'), item('idem-2')], a.bookingKey, headers);
    expect(first.status).toBe(200);
    h.engine.calls = [];
    const again = await batch([item('idem-1'), item('idem-2')], a.bookingKey, headers);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(h.engine.calls).toEqual([]);
    expectProblem(await batch([item('idem-3')], a.bookingKey, headers), 422, 'Idempotency-Key');
  });

  it('B1: a batch of 300 costs the same few statements as a batch of 3 (one lock, one lookup of every reference, one insert, one outbox write)', async () => {
    const at = (i: number) => ({ startAt: new Date(Date.UTC(2027, 0, 1) + i * 900_000).toISOString(), endAt: new Date(Date.UTC(2027, 0, 1) + i * 900_000 + 600_000).toISOString() });
    const statementsFor = async (items: unknown[]) => (await statementsOf(h.db.orm, async () => h.app.request('/v1/appointments:batch', post(items)))).length;
    const small = await statementsFor(Array.from({ length: 3 }, (_, i) => item(`cost-s${i}`, at(i))));
    const large = await statementsFor(Array.from({ length: 300 }, (_, i) => item(`cost-l${i}`, { ...at(i), patientId: i % 2 ? 'p1' : 'p2' })));
    expect(large).toBe(small);
    expect(small).toBeLessThanOrEqual(5);
    expect((await h.call('GET', '/v1/appointments/cost-l299', { key: a.bookingKey })).status).toBe(200);
  });

  function post(items: unknown[]): RequestInit {
    return { method: 'POST', headers: { authorization: `Bearer ${a.bookingKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ items }) };
  }
});
