import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, expectProblem, PLATFORM_KEY, type ApiHarness } from '../support/api.js';

const patient = {
  firstName: 'Maria',
  lastName: 'Rossi',
  mobile: '+393331234567',
  landline: '+390612345678',
  email: 'maria@example.com',
  address: 'Via Appia 1, Roma',
  locale: 'it',
  channelPreference: 'sms',
  privacyConsent: true,
  hasPassword: false,
};
const resource = { name: 'Dott.ssa Bianchi', phone: '+390612345679', mobile: '+393471234567', email: 'bianchi@example.com', memoEnabled: false };
const service = { name: 'Visita cardiologica', price: '80.00', durationMinutes: 30, preparation: 'A digiuno', sendPreparation: true, memoEnabled: true, recallIntervalDays: 365 };
const location = { site: 'Poliambulatorio Prati', locality: 'Roma', phone: '+390611112222', address: 'Via Cola di Rienzo 120', notes: 'Si registri alla reception' };

/** One row per directory resource: its path, a valid body, a required field and a typed field with a wrong value. */
const resources = [
  { path: 'patients', body: patient, required: 'firstName', wrong: { field: 'mobile', value: '3331234567' }, spec: 'C2-pref C2-privacy' },
  { path: 'resources', body: resource, required: 'name', wrong: { field: 'memoEnabled', value: 'no' }, spec: 'C1' },
  { path: 'services', body: service, required: 'name', wrong: { field: 'durationMinutes', value: '30' }, spec: 'D1 A4-prep' },
  { path: 'locations', body: location, required: 'site', wrong: { field: 'phone', value: 'call us' }, spec: 'A4-site' },
] as const;

describe('API directory upserts (patients, resources, services, locations)', () => {
  let h: ApiHarness;
  let a: Awaited<ReturnType<ApiHarness['newCenter']>>;
  let b: Awaited<ReturnType<ApiHarness['newCenter']>>;
  beforeAll(async () => {
    h = await apiHarness();
    a = await h.newCenter('Centro A');
    b = await h.newCenter('Centro B');
  });
  afterAll(() => h?.close());

  for (const r of resources) {
    describe(`${r.spec}: /v1/${r.path}/{id}`, () => {
      it('PUT creates (201) then replaces (200); GET reads it by the booking system’s id; the list pages it', async () => {
        const created = await h.call('PUT', `/v1/${r.path}/ext-1`, { key: a.bookingKey, body: r.body });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        expect(created.body).toMatchObject({ id: 'ext-1', ...r.body });
        const replaced = await h.call('PUT', `/v1/${r.path}/ext-1`, { key: a.adminKey, body: { [r.required]: 'Nuovo' } });
        expect(replaced.status).toBe(200);
        expect(replaced.body[r.required]).toBe('Nuovo');
        // PUT replaces: what the body leaves out is cleared.
        expect(replaced.body[r.wrong.field]).not.toEqual(r.body[r.wrong.field as keyof typeof r.body]);
        const read = await h.call('GET', `/v1/${r.path}/ext-1`, { key: a.bookingKey });
        expect(read.body).toEqual(replaced.body);
        await h.call('PUT', `/v1/${r.path}/ext-2`, { key: a.bookingKey, body: r.body });
        await h.call('PUT', `/v1/${r.path}/ext-3`, { key: a.bookingKey, body: r.body });
        const page1 = await h.call('GET', `/v1/${r.path}?limit=2`, { key: a.bookingKey });
        expect(page1.body.data.map((x: { id: string }) => x.id)).toEqual(['ext-3', 'ext-2']);
        const page2 = await h.call('GET', `/v1/${r.path}?limit=2&cursor=${page1.body.nextCursor}`, { key: a.bookingKey });
        expect(page2.body.data.map((x: { id: string }) => x.id)).toEqual(['ext-1']);
        expect(page2.body.nextCursor).toBeNull();
      });

      it('missing field, wrong type, unknown field → 400 naming the field; no key → 401; wrong scope → 403; nothing changed', async () => {
        const before = await h.fingerprint();
        const without = Object.fromEntries(Object.entries(r.body).filter(([k]) => k !== r.required));
        expectProblem(await h.call('PUT', `/v1/${r.path}/bad`, { key: a.bookingKey, body: without }), 400, r.required);
        expectProblem(await h.call('PUT', `/v1/${r.path}/bad`, { key: a.bookingKey, body: { ...r.body, [r.wrong.field]: r.wrong.value } }), 400, r.wrong.field);
        expectProblem(await h.call('PUT', `/v1/${r.path}/bad`, { key: a.bookingKey, body: { ...r.body, shoeSize: 42 } }), 400, 'shoeSize');
        expectProblem(await h.call('PUT', `/v1/${r.path}/bad id`, { key: a.bookingKey, body: r.body }), 400, 'id');
        expectProblem(await h.call('PUT', `/v1/${r.path}/bad`, { body: r.body }), 401);
        expectProblem(await h.call('PUT', `/v1/${r.path}/bad`, { key: PLATFORM_KEY, body: r.body }), 403);
        expectProblem(await h.call('PUT', `/v1/${r.path}/bad`, { key: a.bookingKey, rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
        expect(await h.fingerprint()).toBe(before);
      });

      it('another center’s id is not found (404), and the same id in two centers are two rows', async () => {
        expectProblem(await h.call('GET', `/v1/${r.path}/ext-1`, { key: b.bookingKey }), 404);
        const mine = await h.call('PUT', `/v1/${r.path}/ext-1`, { key: b.bookingKey, body: r.body });
        expect(mine.status).toBe(201);
        const theirs = await h.call('GET', `/v1/${r.path}/ext-1`, { key: a.bookingKey });
        expect(theirs.body[r.required]).toBe('Nuovo');
        const list = await h.call('GET', `/v1/${r.path}`, { key: b.bookingKey });
        expect(list.body.data).toHaveLength(1);
      });
    });
  }

  it('C2-pref: a patient’s channel preference accepts email, sms, voice or none, nothing else', async () => {
    for (const pref of ['email', 'sms', 'voice', 'none', null]) {
      const res = await h.call('PUT', '/v1/patients/pref', { key: a.bookingKey, body: { firstName: 'Pia', channelPreference: pref } });
      expect(res.body.channelPreference).toBe(pref);
    }
    expectProblem(await h.call('PUT', '/v1/patients/pref', { key: a.bookingKey, body: { firstName: 'Pia', channelPreference: 'fax' } }), 400, 'channelPreference');
  });

  it('A4-prep: a service price is kept as a decimal with two digits', async () => {
    const res = await h.call('PUT', '/v1/services/price', { key: a.bookingKey, body: { name: 'Ecografia', price: 45.5 } });
    expect(res.body.price).toBe('45.50');
    expectProblem(await h.call('PUT', '/v1/services/price', { key: a.bookingKey, body: { name: 'Ecografia', price: '45,50' } }), 400, 'price');
  });
});
