import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/api/app.js';
import { createWebhooks } from '../../src/api/webhooks/index.js';
import { signTwilioRequest } from '../../src/channels/twilio-signature.js';
import { Appointment, Center, Patient } from '../../src/db/entities/index.js';
import { createLinks } from '../../src/links.js';
import { PLATFORM_KEY, RecordingEngine, expectProblem } from '../support/api.js';
import { freshDatabase } from '../support/db.js';
import { addMessage, newMobile } from '../support/webhooks.js';

const BASE = 'https://comms.example.test';
const TWILIO_TOKEN = 'consent-audit-twilio-token-0123456789';
const CENTER_NUMBER = '+390299887766';
const links = createLinks({ publicBaseUrl: BASE, secret: [{ id: 'k1', secret: 'consent-audit-link-key-0123456789abcdef01' }] });

let db: Awaited<ReturnType<typeof freshDatabase>>;
let app: App;
beforeAll(async () => {
  db = await freshDatabase();
  const engine = new RecordingEngine();
  app = createApp({
    orm: db.orm,
    engine,
    config: { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: BASE },
    webhooks: createWebhooks({ orm: db.orm, links, publicBaseUrl: BASE, twilioAuthToken: TWILIO_TOKEN }),
  });
});
afterAll(() => db?.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any; contentType: string; headers: Headers }> {
  const res = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json', 'idempotency-key': randomBytes(8).toString('hex') } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  return { status: res.status, headers: res.headers, contentType, body: contentType.includes('json') ? JSON.parse(text) : text };
}

async function newCenter() {
  const res = await call('POST', '/v1/centers', PLATFORM_KEY, { name: 'Studio Consensi' });
  expect(res.status).toBe(201);
  return { id: res.body.center.id as string, admin: res.body.keys.admin as { id: string; key: string }, booking: res.body.keys.booking as { id: string; key: string } };
}

/** An SMS reply as Twilio posts it, signed. */
async function inboundSms(from: string, text: string) {
  const params = { AccountSid: `AC${'0'.repeat(32)}`, MessageSid: `SM${randomBytes(16).toString('hex')}`, From: from, To: CENTER_NUMBER, Body: text };
  const url = `${BASE}/webhooks/twilio/inbound`;
  const res = await app.request('/webhooks/twilio/inbound', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(TWILIO_TOKEN, url, params) },
    body: new URLSearchParams(params).toString(),
  });
  expect(res.status).toBe(200);
}

describe('X7: consent, preference and opt-out changes are audited', () => {
  it('X7 C2-privacy C2-pref X1: API changes, SMS STOP / START and an unsubscribe link each leave who, what, how and when; readable by admins, newest first, paged', async () => {
    const center = await newCenter();
    // The center's own SMS number: a STOP written to it is this center's (replies per sender, X1).
    await db.orm.em.fork().nativeUpdate(Center, { id: center.id }, { smsSenderId: CENTER_NUMBER });
    const mobile = newMobile();
    const patient = { firstName: 'Ludovica', lastName: 'Ferraris', mobile, email: 'ludovica.ferraris@example.test' };
    const put = (body: object) => call('PUT', '/v1/patients/P-77', center.booking.key, { ...patient, ...body });
    expect((await put({ privacyConsent: true })).status).toBe(201);
    expect((await put({ privacyConsent: true })).status).toBe(200); // a repeat changes nothing: nothing audited
    expect((await put({ privacyConsent: false, channelPreference: 'email' })).status).toBe(200);

    await inboundSms(mobile, 'STOP');
    await inboundSms(mobile, 'STOP'); // already opted out: no change, no row
    await inboundSms(mobile, 'START');

    // An email with an unsubscribe link, pressed by the patient.
    const em = db.orm.em.fork();
    const row = await em.findOneOrFail(Patient, { centerId: center.id, externalId: 'P-77' });
    const centerRow = await em.findOneOrFail(Center, { id: center.id });
    const appointment = em.create(Appointment, { centerId: center.id, externalId: 'A-77', patientId: row.id, startAt: new Date(Date.now() + 86_400_000), endAt: new Date(Date.now() + 88_000_000), revision: 1 });
    await em.flush();
    const message = await addMessage(db.orm, { center: centerRow, patient: row, appointment }, { channel: 'email' });
    const unsubscribe = await app.request(links.unsubscribeUrl(message.id).slice(BASE.length), { method: 'POST' });
    expect(unsubscribe.status).toBe(200);

    const history = await call('GET', '/v1/patients/P-77/consent-history', center.admin.key);
    expect(history.status).toBe(200);
    const byApi = { actor: 'api_key', apiKeyId: center.booking.id, via: 'api' };
    const byPatient = { actor: 'patient', apiKeyId: null };
    // (the consent and the preference changed by one request share a time: compared as a set, ordered by time below)
    expect(history.body.data).toHaveLength(6);
    expect(history.body.data).toEqual(
      expect.arrayContaining([
        { field: 'privacy_consent', channel: null, from: null, to: 'true', ...byApi },
        { field: 'privacy_consent', channel: null, from: 'true', to: 'false', ...byApi },
        { field: 'channel_preference', channel: null, from: null, to: 'email', ...byApi },
        { field: 'opt_out', channel: 'sms', from: 'opted_in', to: 'opted_out', via: 'sms_reply', ...byPatient },
        { field: 'opt_out', channel: 'sms', from: 'opted_out', to: 'opted_in', via: 'sms_reply', ...byPatient },
        { field: 'opt_out', channel: 'email', from: 'opted_in', to: 'opted_out', via: 'email_link', ...byPatient },
      ].map((change) => ({ ...change, at: expect.any(String) }))),
    );
    const times = history.body.data.map((c: { at: string }) => Date.parse(c.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // Ids and settings only: nothing that names or reaches the patient.
    for (const value of Object.values(patient)) expect(JSON.stringify(history.body)).not.toContain(value);

    // Paged like every list.
    const first = await call('GET', '/v1/patients/P-77/consent-history?limit=4', center.admin.key);
    const second = await call('GET', `/v1/patients/P-77/consent-history?limit=4&cursor=${first.body.nextCursor}`, center.admin.key);
    expect([...first.body.data, ...second.body.data]).toEqual(history.body.data);
    expect(second.body.nextCursor).toBeNull();
  });

  it('X7 Security: only admins read it, only in their center; bad paging is a 400 naming the field', async () => {
    const a = await newCenter();
    const b = await newCenter();
    expect((await call('PUT', '/v1/patients/P-1', a.booking.key, { firstName: 'Ada', privacyConsent: true })).status).toBe(201);
    expectProblem(await call('GET', '/v1/patients/P-1/consent-history', a.booking.key), 403);
    expectProblem(await call('GET', '/v1/patients/P-1/consent-history', b.admin.key), 404);
    expectProblem(await call('GET', '/v1/patients/P-1/consent-history?limit=0', a.admin.key), 400, 'limit');
    expect((await call('GET', '/v1/patients/P-1/consent-history', a.admin.key)).body.data).toHaveLength(1);
  });
});
