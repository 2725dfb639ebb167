import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppointmentId, CenterId, PatientId, ResourceId } from '../../src/workflows/search-attributes.js';
import type { App } from '../../src/api/app.js';
import { apiOnHarness, eventually, serverNow, startEngineHarness, type EngineHarness } from '../support/engine.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const PLATFORM_KEY = 'platform-key-for-the-e2e-test-0123456789';

/**
 * The whole product as a booking system and a patient meet it: REST API → Temporal workflows
 * (time-skipping) → real SMTP server and the Twilio test server → confirm link → timeline.
 */
describe('e2e: a booking system books, the patient is reminded and confirms', () => {
  let h: EngineHarness;
  let app: App;
  let call: ReturnType<typeof apiOnHarness>['call'];
  beforeAll(async () => {
    h = await startEngineHarness();
    ({ app, call } = apiOnHarness(h, { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: 'http://127.0.0.1:9' }));
  }, 180_000);
  afterAll(() => h?.stop());

  it('B1 B2-rem B2-confirm E1 F1 X6: booking → confirmation → reminder by email and SMS → confirm link → timeline', async () => {
    const created = await call(PLATFORM_KEY, 'POST', '/v1/centers', { name: 'Studio Medico Verdi', adminEmails: ['segreteria@verdi.test'] });
    expect(created.status).toBe(201);
    const admin = created.body.keys.admin.key as string;
    const booking = created.body.keys.booking.key as string;
    const centerId = created.body.center.id as string;
    expect((await call(PLATFORM_KEY, 'POST', '/v1/credits/top-ups', { centerId, amount: 100, note: 'welcome' })).status).toBe(201);
    expect((await call(admin, 'PUT', '/v1/event-settings/appointment.reminder', { channels: ['email', 'sms'], options: { leadMinutes: 1440, requestConfirmation: true } })).status).toBe(200);

    expect((await call(booking, 'PUT', '/v1/patients/P-1', { firstName: 'Marco', lastName: 'Neri', email: 'marco.neri@example.com', mobile: '+393471112233', privacyConsent: true })).status).toBeLessThan(300);
    expect((await call(booking, 'PUT', '/v1/resources/R-1', { name: 'Dott.ssa Gialli' })).status).toBeLessThan(300);
    expect((await call(booking, 'PUT', '/v1/services/S-1', { name: 'Ecografia', price: '60.00', durationMinutes: 20, preparation: 'Vescica piena', sendPreparation: true })).status).toBeLessThan(300);
    expect((await call(booking, 'PUT', '/v1/locations/L-1', { site: 'Sede Nord', notes: 'Secondo piano' })).status).toBeLessThan(300);

    const start = new Date((await serverNow(h)).getTime() + 3 * DAY);
    const put = await call(booking, 'PUT', '/v1/appointments/A-1', {
      revision: 1, patientId: 'P-1', resourceId: 'R-1', serviceId: 'S-1', locationId: 'L-1',
      startAt: start.toISOString(), endAt: new Date(start.getTime() + 20 * 60_000).toISOString(),
    });
    expect(put.status).toBeLessThan(300);

    // X6: operators find the workflow by the booking system's ids, not by internal uuids, once its
    // first workflow task has upserted them (the start carries none: README, "Seeing what the system did").
    const { workflowId } = (await call(admin, 'GET', '/v1/appointments/A-1/timeline')).body;
    const described = await eventually(
      () => h.env.client.workflow.getHandle(workflowId).describe().catch(() => null),
      (d) => d?.typedSearchAttributes.get(CenterId) !== undefined,
    );
    expect([AppointmentId, PatientId, ResourceId, CenterId].map((key) => described?.typedSearchAttributes.get(key))).toEqual(['A-1', 'P-1', 'R-1', centerId]);

    // B1: the confirmation email arrives at the SMTP server.
    const confirmation = await eventually(async () => h.smtp.mails.find((m) => m.envelope.to.includes('marco.neri@example.com')), (m) => !!m);
    expect(confirmation?.parsed.text).toContain('Marco');
    expect(confirmation?.parsed.text).toContain('Sede Nord');

    // B2-rem: a day before, the reminder by email and by SMS through the Twilio SDK.
    await h.env.sleep(2 * DAY + HOUR);
    const sms = await eventually(async () => h.twilio.messages.find((m) => m.to === '+393471112233'), (m) => !!m);
    expect(sms?.body).toMatch(/SI/);
    const reminder = await eventually(
      async () => h.smtp.mails.filter((m) => m.envelope.to.includes('marco.neri@example.com')),
      (mails) => mails.length >= 2,
    );
    const confirmUrl = /http:\/\/127\.0\.0\.1:9(\/l\/confirm\/[^\s>]+)/.exec(reminder[1]!.parsed.text ?? '')?.[1];
    expect(confirmUrl).toBeDefined();

    // B2-confirm: the GET shows a page and changes nothing; the POST confirms.
    const page = await app.request(confirmUrl!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Marco');
    expect((await app.request(confirmUrl!, { method: 'POST' })).status).toBe(200);
    const appointment = await eventually(async () => (await call(admin, 'GET', '/v1/appointments/A-1')).body, (a) => a?.status === 'confirmed');
    expect(appointment.status).toBe('confirmed');

    // X6 + E1: the timeline and the message summary show what happened.
    const timeline = await call(admin, 'GET', '/v1/appointments/A-1/timeline');
    expect(timeline.status).toBe(200);
    const text = JSON.stringify(timeline.body);
    expect(text).toContain('appointment.created');
    expect(text).toContain('appointment.reminder');
    expect(text).toContain('patient.confirm');
    const messages = await call(admin, 'GET', '/v1/messages?appointmentId=A-1');
    expect(messages.status).toBe(200);
    expect(JSON.stringify(messages.body)).toContain('"status":"sent"');
    // F1: credits were debited for the SMS.
    const credits = await call(admin, 'GET', '/v1/credits');
    expect(credits.body.balance).toBeLessThan(100);
  });

  it('B4 B3 E1: an alert, a cancellation and attendance reported through the API reach the patients', async () => {
    const created = await call(PLATFORM_KEY, 'POST', '/v1/centers', { name: 'Centro Blu', adminEmails: ['admin@blu.test'] });
    const { admin: { key: admin }, booking: { key: booking } } = created.body.keys;
    await call(PLATFORM_KEY, 'POST', '/v1/credits/top-ups', { centerId: created.body.center.id, amount: 50 });
    await call(admin, 'PUT', '/v1/event-settings/alert.delay', { channels: ['email'], options: {} });
    await call(admin, 'PUT', '/v1/event-settings/appointment.post_visit', { channels: ['email'], options: { kind: 'thanks', delayMinutes: 60 } });
    await call(booking, 'PUT', '/v1/resources/R-9', { name: 'Dott. Azzurri' });
    const now = (await serverNow(h)).getTime();
    const tomorrow = new Date(now + DAY);
    tomorrow.setUTCHours(9, 0, 0, 0);
    const day = tomorrow.toISOString().slice(0, 10);
    for (const [i, name] of ['Anna', 'Bruno', 'Carla'].entries()) {
      await call(booking, 'PUT', `/v1/patients/P-${i}`, { firstName: name, email: `${name.toLowerCase()}@example.com`, privacyConsent: true });
      const start = new Date(tomorrow.getTime() + i * 30 * 60_000);
      const put = await call(booking, 'PUT', `/v1/appointments/A-${i}`, {
        revision: 1, patientId: `P-${i}`, resourceId: 'R-9', startAt: start.toISOString(), endAt: new Date(start.getTime() + 30 * 60_000).toISOString(),
      });
      expect(put.status).toBeLessThan(300);
    }
    // Bruno cancels through the booking system: he is told, and later gets no delay alert.
    expect((await call(booking, 'POST', '/v1/appointments/A-1/cancel')).status).toBeLessThan(300);
    await eventually(async () => h.smtp.mails.filter((m) => m.envelope.to.includes('bruno@example.com')), (m) => m.length === 2);

    const alert = await call(booking, 'POST', '/v1/alerts', { resourceId: 'R-9', day, kind: 'delay', delayMinutes: 25 });
    expect(alert.status).toBe(202);
    const progress = await eventually(async () => (await call(booking, 'GET', `/v1/alerts/${alert.body.id}`)).body, (a) => a?.progress?.done === true);
    expect(progress.progress).toMatchObject({ affected: 2, notified: 2, done: true });
    const alerted = await eventually(
      async () => (await call(admin, 'GET', '/v1/messages?eventKind=alert.delay')).body,
      (page) => page?.data?.filter((m: { status: string }) => m.status === 'sent').length === 2,
    );
    expect(alerted.data).toHaveLength(2);

    // After the visit: Anna attended and is thanked; Carla did not show up and is not (B3).
    await h.env.sleep(tomorrow.getTime() - now + 2 * HOUR);
    await call(booking, 'POST', '/v1/appointments/A-0/attendance', { attended: true });
    await call(booking, 'POST', '/v1/appointments/A-2/attendance', { attended: false });
    await h.env.sleep(2 * HOUR);
    const thanks = await eventually(
      async () => (await call(admin, 'GET', '/v1/messages?eventKind=appointment.post_visit')).body,
      (page) => page?.data?.length >= 1,
    );
    expect(thanks.data.map((m: { recipient?: unknown; status: string }) => m.status)).toEqual(['sent']);
    expect(h.smtp.mails.some((m) => m.envelope.to.includes('carla@example.com') && /grazie/i.test(m.parsed.subject ?? ''))).toBe(false);
  });
});
