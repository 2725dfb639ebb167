import type { ApiHarness } from './api.js';

/**
 * Centers A and B as their booking systems fill them before booking: the same ids in both
 * (patients p1 and p2, resources r1 and r2, service s1, location l1), and a resource only B
 * knows (`only-in-b`), for what one center may reference.
 */
export async function twoBookingCenters(h: ApiHarness) {
  const a = await h.newCenter('Centro A');
  const b = await h.newCenter('Centro B');
  for (const c of [a, b]) {
    await h.call('PUT', '/v1/patients/p1', { key: c.bookingKey, body: { firstName: 'Maria' } });
    await h.call('PUT', '/v1/patients/p2', { key: c.bookingKey, body: { firstName: 'Luca' } });
    await h.call('PUT', '/v1/resources/r1', { key: c.bookingKey, body: { name: 'Dott. Bianchi' } });
    await h.call('PUT', '/v1/resources/r2', { key: c.bookingKey, body: { name: 'Dott.ssa Neri' } });
    await h.call('PUT', '/v1/services/s1', { key: c.bookingKey, body: { name: 'Visita' } });
    await h.call('PUT', '/v1/locations/l1', { key: c.bookingKey, body: { site: 'Prati' } });
  }
  await h.call('PUT', '/v1/resources/only-in-b', { key: b.bookingKey, body: { name: 'Dott. Verdi' } });
  return { a, b };
}

export type BookingCenter = Awaited<ReturnType<typeof twoBookingCenters>>['a'];
