import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTemplate } from '../../src/domain/default-templates.js';
import { apiHarness, expectProblem, type ApiHarness } from '../support/api.js';

describe('API templates (A4) and placeholder legend (A4-tags)', () => {
  let h: ApiHarness;
  let a: Awaited<ReturnType<ApiHarness['newCenter']>>;
  let b: Awaited<ReturnType<ApiHarness['newCenter']>>;
  const path = '/v1/templates/appointment.reminder/email/it';

  beforeAll(async () => {
    h = await apiHarness();
    a = await h.newCenter('Centro Medico San Luca');
    b = await h.newCenter('Altro');
    await h.call('PUT', '/v1/patients/p1', { key: a.bookingKey, body: { firstName: 'Maria', lastName: 'Rossi' } });
    await h.call('PUT', '/v1/resources/r1', { key: a.bookingKey, body: { name: 'Dott.ssa Bianchi' } });
    await h.call('PUT', '/v1/services/s1', { key: a.bookingKey, body: { name: 'Visita cardiologica', price: '80.00', preparation: 'A digiuno da 12 ore', sendPreparation: true } });
    await h.call('PUT', '/v1/locations/l1', { key: a.bookingKey, body: { site: 'Prati', notes: 'Si registri alla reception' } });
    // Monday 3 June 2030, 09:30 in Rome.
    await h.call('PUT', '/v1/appointments/a1', {
      key: a.bookingKey,
      body: { revision: 1, patientId: 'p1', resourceId: 'r1', serviceId: 's1', locationId: 'l1', startAt: '2030-06-03T09:30:00+02:00', endAt: '2030-06-03T10:00:00+02:00' },
    });
  });
  afterAll(() => h?.close());

  it('A4: lists every event × channel × language (13 × 3 × 2), all defaults at first', async () => {
    const res = await h.call('GET', '/v1/templates', { key: a.adminKey });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(78);
    expect(res.body.data.every((t: { custom: boolean }) => !t.custom)).toBe(true);
    const reminder = res.body.data.find((t: { eventKind: string; channel: string; locale: string }) => t.eventKind === 'appointment.reminder' && t.channel === 'email' && t.locale === 'en');
    expect(reminder).toMatchObject(defaultTemplate('appointment.reminder', 'email', 'en'));
  });

  it('A4: PUT saves a custom template, GET shows it as custom, DELETE resets it to the default', async () => {
    const saved = await h.call('PUT', path, { key: a.adminKey, body: { subject: 'Promemoria [TRD0]', body: 'Gentile [TRD3], La aspettiamo il [TRD8] alle [TRD9].' } });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ custom: true, subject: 'Promemoria [TRD0]' });
    expect((await h.call('GET', path, { key: a.adminKey })).body).toEqual(saved.body);
    // The other center still has the default.
    expect((await h.call('GET', path, { key: b.adminKey })).body.custom).toBe(false);
    const reset = await h.call('DELETE', path, { key: a.adminKey });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ custom: false, ...defaultTemplate('appointment.reminder', 'email', 'it') });
    expect((await h.call('GET', path, { key: a.adminKey })).body.custom).toBe(false);
  });

  it('A4-tags: an unknown or misplaced tag is refused when saving (400 naming the field and the tag); nothing changed', async () => {
    const before = await h.fingerprint();
    const bad = await h.call('PUT', path, { key: a.adminKey, body: { subject: 'Promemoria', body: 'Gentile [TRD99], a presto.' } });
    expectProblem(bad, 400, 'body');
    expect(bad.body.errors[0].message).toContain('[TRD99]');
    expectProblem(await h.call('PUT', path, { key: a.adminKey, body: { subject: 'Ciao [NOPE_TAG]', body: 'x' } }), 400, 'subject');
    expectProblem(await h.call('PUT', path, { key: a.adminKey, body: { body: 'no subject' } }), 400, 'subject');
    expectProblem(await h.call('PUT', '/v1/templates/appointment.reminder/sms/it', { key: a.adminKey, body: { subject: 'x', body: 'y' } }), 400, 'subject');
    const link = await h.call('PUT', '/v1/templates/appointment.reminder/voice/it', { key: a.adminKey, body: { body: 'Conferma qui [CONFIRM_URL]' } });
    expectProblem(link, 400, 'body');
    expectProblem(await h.call('PUT', '/v1/templates/recall/email/it', { key: a.adminKey, body: { subject: 'x', body: 'Conferma [CONFIRM_URL]' } }), 400, 'body');
    expectProblem(await h.call('PUT', path, { key: a.adminKey, body: { subject: 'x', body: 'y', html: true } }), 400, 'html');
    expectProblem(await h.call('PUT', path, { key: a.adminKey, body: { subject: 'x', body: 5 } }), 400, 'body');
    expectProblem(await h.call('PUT', '/v1/templates/appointment.reminder/fax/it', { key: a.adminKey, body: { body: 'y' } }), 400, 'channel');
    expectProblem(await h.call('PUT', '/v1/templates/appointment.reminder/sms/de', { key: a.adminKey, body: { body: 'y' } }), 400, 'locale');
    expectProblem(await h.call('PUT', path, { key: a.bookingKey, body: { subject: 'x', body: 'y' } }), 403);
    expectProblem(await h.call('PUT', path, { body: { subject: 'x', body: 'y' } }), 401);
    expect(await h.fingerprint()).toBe(before);
  });

  it('A4 A4-tags A4-prep A4-site: preview renders against a real appointment in the center’s time zone and language', async () => {
    const res = await h.call('POST', `${path}/preview`, {
      key: a.adminKey,
      body: { appointmentId: 'a1', subject: 'Promemoria [TRD0]', body: '[TRD3] [TRD4]: [TRD31] [TRD9]-[TRD10], [TRD11] con [TRD5]. [TRD23] [TRD24]' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.subject).toBe('Promemoria Centro Medico San Luca');
    expect(res.body.body).toContain('Maria Rossi');
    expect(res.body.body).toMatch(/Lunedì 3 Giugno/i);
    expect(res.body.body).toContain('09:30');
    expect(res.body.body).toContain('10:00');
    expect(res.body.body).toContain('Visita cardiologica');
    expect(res.body.body).toContain('Dott.ssa Bianchi');
    expect(res.body.body).toContain('A digiuno da 12 ore');
    expect(res.body.body).toContain('Si registri alla reception');
    // Without a text: the template in force (here the default) is rendered.
    const current = await h.call('POST', '/v1/templates/appointment.reminder/sms/en/preview', { key: a.adminKey, body: { appointmentId: 'a1' } });
    expect(current.status).toBe(200);
    expect(current.body.subject).toBeNull();
    expect(current.body.body).not.toMatch(/\[TRD\d+\]/);
  });

  it('A4: preview errors: another center’s appointment → 422 naming appointmentId; bad tag → 400; missing appointmentId → 400', async () => {
    await h.call('PUT', '/v1/patients/pb', { key: b.bookingKey, body: { firstName: 'Bea' } });
    await h.call('PUT', '/v1/appointments/b1', { key: b.bookingKey, body: { revision: 1, patientId: 'pb', startAt: '2030-06-03T09:30:00+02:00', endAt: '2030-06-03T10:00:00+02:00' } });
    expectProblem(await h.call('POST', `${path}/preview`, { key: a.adminKey, body: { appointmentId: 'b1' } }), 422, 'appointmentId');
    expectProblem(await h.call('POST', `${path}/preview`, { key: a.adminKey, body: { appointmentId: 'a1', subject: 'x', body: '[TRD77]' } }), 400, 'body');
    expectProblem(await h.call('POST', `${path}/preview`, { key: a.adminKey, body: {} }), 400, 'appointmentId');
    expectProblem(await h.call('POST', `${path}/preview`, { key: a.bookingKey, body: { appointmentId: 'a1' } }), 403);
  });

  it('A4-tags: the legend lists every placeholder with Italian and English descriptions', async () => {
    const res = await h.call('GET', '/v1/placeholders', { key: a.bookingKey });
    expect(res.status).toBe(200);
    const tags = res.body.data.map((p: { tag: string }) => p.tag);
    for (const n of [0, 1, 38, 3, 4, 35, 36, 5, 6, 7, 8, 26, 31, 32, 25, 33, 9, 10, 11, 12, 13, 14, 23, 37, 39, 24, 27, 28, 29, 30]) expect(tags).toContain(`[TRD${n}]`);
    const trd23 = res.body.data.find((p: { tag: string }) => p.tag === '[TRD23]');
    expect(trd23.description.it).toMatch(/Preparazione/);
    expect(trd23.description.en).toMatch(/Preparation/);
    expectProblem(await h.call('GET', '/v1/placeholders'), 401);
  });
});
