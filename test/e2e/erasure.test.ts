import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Center } from '../../src/db/entities/index.js';
import type { App } from '../../src/api/app.js';
import { signTwilioRequest } from '../../src/channels/twilio-signature.js';
import { tablesContaining } from '../support/db.js';
import { E2E_BASE_URL as BASE, wholeApi } from '../support/e2e.js';
import { eventually, serverNow, startEngineHarness, TWILIO_SID, TWILIO_TOKEN, type EngineHarness } from '../support/engine.js';

const HOUR = 3600_000;
const CENTER_NUMBER = '+390288776655';
const DAY = 24 * HOUR;
const PLATFORM_KEY = 'platform-key-for-the-erasure-test-0123456789';

/** X7: a patient erased through the API with the real engine; nothing is sent to it afterwards. */
describe('e2e X7: erasure (GDPR art. 17)', () => {
  let h: EngineHarness;
  let app: App;
  let call: ReturnType<typeof wholeApi>['call'];
  beforeAll(async () => {
    h = await startEngineHarness();
    ({ app, call } = wholeApi(h, PLATFORM_KEY));
  }, 180_000);
  afterAll(() => h?.stop());

  /** The patient texts a word to the platform number (signed as Twilio signs). */
  const sms = async (from: string, text: string) => {
    const params = { AccountSid: TWILIO_SID, MessageSid: `SM${randomBytes(16).toString('hex')}`, From: from, To: CENTER_NUMBER, Body: text };
    const res = await app.request('/webhooks/twilio/inbound', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(TWILIO_TOKEN, `${BASE}/webhooks/twilio/inbound`, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(200);
  };
  it('X7 X1 E1: after erasure the patient gets nothing (reminders stop), its data is gone, its opt-out still blocks the number, the audit says who; a repeat changes nothing', async () => {
    const created = await call(PLATFORM_KEY, 'POST', '/v1/centers', { name: 'Studio Oblio', adminEmails: ['segreteria@oblio.test'] });
    const centerId = created.body.center.id as string;
    const admin = created.body.keys.admin as { id: string; key: string };
    const booking = created.body.keys.booking.key as string;
    await call(PLATFORM_KEY, 'POST', '/v1/credits/top-ups', { centerId, amount: 200, note: 'welcome' });
    // The center's own SMS number: a STOP written to it is this center's (replies per sender, X1).
    await h.db.orm.em.fork().nativeUpdate(Center, { id: centerId }, { smsSenderId: CENTER_NUMBER });
    expect((await call(admin.key, 'PUT', '/v1/event-settings/appointment.reminder', { channels: ['email', 'sms'], options: { leadMinutes: 1440 } })).status).toBe(200);

    const mobile = '+393479990011';
    const person = { firstName: 'Erminia', lastName: 'Dimenticata', email: 'erminia.dimenticata@example.com', mobile };
    expect((await call(booking, 'PUT', '/v1/patients/P-1', { ...person, privacyConsent: true })).status).toBe(201);
    const start = new Date((await serverNow(h)).getTime() + 3 * DAY);
    const times = { startAt: start.toISOString(), endAt: new Date(start.getTime() + 30 * 60_000).toISOString() };
    expect((await call(booking, 'PUT', '/v1/appointments/A-1', { revision: 1, patientId: 'P-1', ...times })).status).toBe(201);
    // B1: the booking confirmation reaches her before the erasure.
    await eventually(async () => h.smtp.mails.filter((m) => m.envelope.to.includes(person.email)), (m) => m.length === 1);
    await sms(mobile, 'STOP'); // X1: she stops SMS
    const mailsBefore = h.smtp.mails.filter((m) => m.envelope.to.includes(person.email)).length;
    const smsBefore = h.twilio.messages.filter((m) => m.to === mobile).length;

    const erased = await call(admin.key, 'POST', '/v1/patients/P-1/erasure');
    expect(erased.status).toBe(200);
    expect(erased.body).toEqual({
      patientId: 'P-1',
      erasedAt: expect.any(String),
      erasedBy: { actor: 'api_key', apiKeyId: admin.id },
      messagesRedacted: expect.any(Number),
      appointmentsStopped: 1,
      optOutsKept: 1,
    });
    expect(erased.body.messagesRedacted).toBeGreaterThanOrEqual(1);
    // Idempotent: the platform erasing again finds the same erasure and changes nothing.
    const again = await call(PLATFORM_KEY, 'POST', `/v1/centers/${centerId}/patients/P-1/erasure`);
    expect(again).toEqual({ status: 200, body: erased.body });

    // The personal fields are gone; the booking system cannot write them back under that id.
    const patient = await call(booking, 'GET', '/v1/patients/P-1');
    expect(patient.body).toMatchObject({ firstName: '', lastName: null, mobile: null, email: null, address: null, privacyConsent: false, erasedAt: erased.body.erasedAt });
    expect((await call(booking, 'PUT', '/v1/patients/P-1', { ...person, privacyConsent: true })).status).toBe(409);
    // E1: the messages keep their metadata, without text or address.
    const summary = await call(admin.key, 'GET', '/v1/messages?appointmentId=A-1');
    const created1 = summary.body.data.find((m: { eventKind: string; channel: string }) => m.eventKind === 'appointment.created' && m.channel === 'email');
    expect(created1).toMatchObject({ status: 'sent', recipient: { kind: 'patient', id: 'P-1', address: null }, text: null, subject: null, credits: expect.any(Number) });

    // A new patient record with the same mobile (another id): the number stays blocked for SMS.
    const other = { firstName: 'Nuova', email: 'nuova.paziente@example.com', mobile, privacyConsent: true };
    expect((await call(booking, 'PUT', '/v1/patients/P-2', other)).status).toBe(201);
    expect((await call(booking, 'PUT', '/v1/appointments/A-2', { revision: 1, patientId: 'P-2', ...times })).status).toBe(201);

    // Past the reminder time: P-2's email reminder goes out (time did pass) …
    await h.env.sleep(2 * DAY + 2 * HOUR);
    await eventually(async () => h.smtp.mails.filter((m) => m.envelope.to.includes(other.email)), (m) => m.length >= 2);
    const reminders2 = await eventually(
      async () => (await call(admin.key, 'GET', '/v1/messages?appointmentId=A-2&eventKind=appointment.reminder')).body.data as { channel: string; status: string; skipReason: string | null }[],
      (rows) => rows.length === 2 && rows.every((r) => r.status !== 'scheduled'),
    );
    expect(reminders2.map((r) => `${r.channel}:${r.status}:${r.skipReason}`).sort()).toEqual(['email:sent:null', 'sms:skipped:opted_out']);
    // … and nothing at all reached the erased patient after the erasure, by any channel.
    expect(h.smtp.mails.filter((m) => m.envelope.to.includes(person.email))).toHaveLength(mailsBefore);
    expect(h.twilio.messages.filter((m) => m.to === mobile)).toHaveLength(smsBefore);
    const after = (await call(admin.key, 'GET', '/v1/messages?appointmentId=A-1')).body.data as { eventKind: string; status: string; skipReason: string | null; createdAt: string }[];
    for (const m of after.filter((row) => row.createdAt > erased.body.erasedAt)) expect(m).toMatchObject({ status: 'skipped', skipReason: 'erased' });
    expect(after.some((m) => m.eventKind === 'appointment.reminder' && m.status !== 'skipped')).toBe(false);
    expect((await call(admin.key, 'GET', '/v1/appointments/A-1')).body.status).toBe('cancelled');

    // Her name, surname and email are in no table; her number only in P-2's own rows (the opt-out is a hash).
    for (const value of [person.firstName, person.lastName, person.email]) expect(await tablesContaining(h.db.orm, value), value).toEqual([]);
    expect((await tablesContaining(h.db.orm, mobile)).sort()).toEqual(['messages', 'patients']);
    const holders = await h.db.orm.em.getConnection().execute<{ external_id: string }[]>(
      `select distinct p.external_id from messages m join patients p on p.id = m.recipient_id where m.recipient_address = ?
       union select external_id from patients where mobile = ?`,
      [mobile, mobile],
    );
    expect(holders.map((r) => r.external_id)).toEqual(['P-2']);
    // Who erased, and the consent change it made, are on record.
    const history = await call(admin.key, 'GET', '/v1/patients/P-1/consent-history');
    expect(history.body.data[0]).toMatchObject({ field: 'privacy_consent', from: 'true', to: 'false', via: 'erasure', actor: 'api_key', apiKeyId: admin.id });
  });
});
