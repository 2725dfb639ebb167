import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createApp } from '../../src/api/app.js';
import { createWebhooks } from '../../src/api/webhooks/index.js';
import { CallbackDelivery, ConfirmToken, Message, MessageEvent, OptOut, Patient } from '../../src/db/entities/index.js';
import { createLinks, hashToken, type Links } from '../../src/links.js';
import { freshDatabase } from '../support/db.js';
import type { OutboxRelay } from '../../src/engine/outbox-relay.js';
import { addMessage, mountWebhooks, recordingEngine, recordingRelay, seedClinic, type Clinic, type RecordingEngine } from '../support/webhooks.js';

const PUBLIC_BASE_URL = 'https://comms.example.test';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let engine: RecordingEngine;
let links: Links;
let app: Hono;
let relay: OutboxRelay;

beforeAll(async () => {
  db = await freshDatabase();
  engine = recordingEngine();
  links = createLinks({ publicBaseUrl: PUBLIC_BASE_URL, secret: 'links-test-secret-0123456789abcdef0123456789' });
  relay = recordingRelay(db.orm, engine);
  app = mountWebhooks(createWebhooks({ orm: db.orm, links, publicBaseUrl: PUBLIC_BASE_URL, twilioAuthToken: 'unused-token-0123456789' }), relay);
});

afterAll(async () => {
  await db?.close();
});

const em = () => db.orm.em.fork();
/** The path of a public link (the app is mounted at the root, as src/api/app.ts does). */
const pathOf = (url: string) => url.slice(PUBLIC_BASE_URL.length);
const get = (url: string, method: 'GET' | 'HEAD' = 'GET') => app.request(pathOf(url), { method });
const post = (url: string, body?: string) =>
  app.request(pathOf(url), {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }),
  });
const answersFor = (clinic: Clinic) => engine.answers.filter((a) => a.appointmentId === clinic.appointment.id);
const tokensFor = (messageId: string) => em().find(ConfirmToken, { messageId });
/** Visible text of a page, tags removed. */
const textOf = (html: string) => html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('B2-confirm: confirm and cancel links', () => {
  it('B2-confirm: a GET shows the question with a button and changes nothing (link scanners open every link)', async () => {
    const clinic = await seedClinic(db.orm, { startAt: new Date('2030-06-03T08:30:00Z') });
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });
    const response = await get(links.confirmUrl(message.id));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    expect(html).toContain('<html lang="it">');
    expect(html).toContain('<form method="post"><button type="submit">Confermo l&#39;appuntamento</button></form>');
    // Center name, date and time in the center's time zone (Rome, summer: UTC+2), first name only.
    expect(textOf(html)).toContain('Gentile Giulia, confermi il tuo appuntamento presso Poliambulatorio Test di lunedì 3 giugno 2030 alle 10:30?');
    expect(html).not.toContain('Bianchi');
    expect(html).not.toContain(clinic.patient.email ?? '@');
    expect(html).not.toContain(clinic.patient.mobile ?? '+');
    expect(answersFor(clinic)).toEqual([]);
    expect(await tokensFor(message.id)).toEqual([]);
  });

  it('B2-confirm: a POST confirms once; a second POST shows the recorded outcome without acting again', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });
    const first = await post(links.confirmUrl(message.id));
    expect(first.status).toBe(200);
    expect(textOf(await first.text())).toContain('Appuntamento confermato Grazie, il tuo appuntamento presso Poliambulatorio Test');
    expect(answersFor(clinic)).toEqual([{ centerId: clinic.center.id, appointmentId: clinic.appointment.id, answer: 'confirm', via: 'link', eventId: `link:${message.id}` }]);
    const [token] = await tokensFor(message.id);
    expect(token).toMatchObject({ tokenHash: hashToken(links.token(message.id, 'confirm')), outcome: 'confirmed', appointmentId: clinic.appointment.id });
    expect(token?.usedAt).toBeInstanceOf(Date);
    expect(token?.expiresAt).toEqual(clinic.appointment.startAt);

    const second = await post(links.confirmUrl(message.id));
    expect(second.status).toBe(200);
    const html = await second.text();
    expect(textOf(html)).toContain('Appuntamento confermato');
    expect(html).not.toContain('<form');
    expect(answersFor(clinic)).toHaveLength(1);
    expect(await tokensFor(message.id)).toHaveLength(1);
    // A later GET shows the outcome too, with no button.
    expect(await (await get(links.confirmUrl(message.id))).text()).not.toContain('<form');
  });

  it('B2-confirm: the first answer stands: the cancel link after a confirmation shows "confirmed" and does not cancel', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });
    await post(links.confirmUrl(message.id));
    const page = textOf(await (await get(links.cancelUrl(message.id))).text());
    expect(page).toContain('Hai già risposto a questo messaggio: vale la prima risposta.');
    expect(page).toContain('Appuntamento confermato');
    const cancel = await post(links.cancelUrl(message.id));
    expect(textOf(await cancel.text())).toContain('vale la prima risposta');
    expect(answersFor(clinic).map((a) => a.answer)).toEqual(['confirm']);
  });

  it('B2-confirm: confirm and cancel pressed at the same moment: exactly one of them acts', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });
    const urls = [links.confirmUrl(message.id), links.cancelUrl(message.id)];
    await Promise.all(Array.from({ length: 8 }, (_, i) => post(urls[i % 2] ?? '')));
    expect(answersFor(clinic)).toHaveLength(1);
    const used = (await tokensFor(message.id)).filter((t) => t.usedAt);
    expect(used).toHaveLength(1);
    expect(used[0]?.outcome).toBe(answersFor(clinic)[0]?.answer === 'confirm' ? 'confirmed' : 'cancelled');
  });

  it('B2-confirm: the cancel link cancels, in English for an English message', async () => {
    const clinic = await seedClinic(db.orm, { startAt: new Date('2030-01-15T14:00:00Z'), center: { timeZone: 'America/New_York', name: 'Downtown Clinic' } });
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true, locale: 'en' });
    const question = textOf(await (await get(links.cancelUrl(message.id))).text());
    expect(question).toContain('Dear Giulia, do you want to cancel your appointment at Downtown Clinic on Tuesday, 15 January 2030 at 09:00?');
    const done = await post(links.cancelUrl(message.id));
    expect(textOf(await done.text())).toContain('Your appointment at Downtown Clinic on Tuesday, 15 January 2030 at 09:00 has been cancelled.');
    expect(answersFor(clinic)).toEqual([expect.objectContaining({ answer: 'cancel', via: 'link' })]);
    expect((await tokensFor(message.id))[0]?.outcome).toBe('cancelled');
  });

  it('B2-confirm: once the appointment started the link has expired: a page with the center phone, nothing recorded', async () => {
    const clinic = await seedClinic(db.orm, { startInMs: -5 * 60_000 });
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });
    for (const response of [await get(links.confirmUrl(message.id)), await post(links.confirmUrl(message.id))]) {
      expect(response.status).toBe(410);
      const page = textOf(await response.text());
      expect(page).toContain('Link scaduto');
      expect(page).toContain('Per qualsiasi necessità chiama +390612345678.');
    }
    expect(answersFor(clinic)).toEqual([]);
    expect(await tokensFor(message.id)).toEqual([]);
  });

  it('B2-confirm: a bad, truncated or other-action token is a 404 page and nothing happens', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });
    const good = links.confirmUrl(message.id);
    const tampered = good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A');
    const cancelToken = `${PUBLIC_BASE_URL}/l/confirm/${message.id}.${links.token(message.id, 'cancel')}`;
    for (const url of [tampered, good.slice(0, -3), cancelToken, `${PUBLIC_BASE_URL}/l/confirm/nonsense`]) {
      const response = await post(url);
      expect(response.status, url).toBe(404);
      expect(textOf(await response.text())).toContain('Link non valido / Invalid link');
    }
    expect(answersFor(clinic)).toEqual([]);
    expect(await tokensFor(message.id)).toEqual([]);
  });

  it('B2-confirm: every text on the page is escaped', async () => {
    const clinic = await seedClinic(db.orm, { center: { name: '<script>alert(1)</script> & Co' }, patient: { firstName: '<img src=x onerror=alert(1)>' } });
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });
    const html = await (await get(links.confirmUrl(message.id))).text();
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; Co');
  });

  it('B2-confirm: when the engine cannot be reached the answer is kept, and the engine hears it once when it is back', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });
    engine.failNextAnswer();
    const pressed = await post(links.confirmUrl(message.id));
    expect(pressed.status).toBe(200);
    expect(await tokensFor(message.id)).toHaveLength(1);
    expect(answersFor(clinic)).toEqual([]);
    await new Promise((r) => setTimeout(r, 600)); // the relay's first back-off (0.5 s)
    await relay.drain();
    expect(answersFor(clinic)).toHaveLength(1);
    expect((await post(links.confirmUrl(message.id))).status).toBe(200); // pressed again: already recorded
    expect(answersFor(clinic)).toHaveLength(1);
  });
});

describe('X1: unsubscribe link and List-Unsubscribe one-click', () => {
  it('X1: the GET page asks with a button and changes nothing', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'email' });
    const response = await get(links.unsubscribeUrl(message.id));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(textOf(html)).toContain('Vuoi smettere di ricevere email da Poliambulatorio Test?');
    expect(html).toContain('<form method="post">');
    expect(await em().count(OptOut, { centerId: clinic.center.id })).toBe(0);
  });

  it('X1 X4: an RFC 8058 one-click POST opts the address out of email, flags the patient and tells the booking system once', async () => {
    const clinic = await seedClinic(db.orm, { center: { callbackUrl: 'https://booking.example.test/hooks', callbackSecret: 'c'.repeat(32) } });
    const message = await addMessage(db.orm, clinic, { channel: 'email' });
    for (let i = 0; i < 2; i += 1) {
      const response = await post(links.unsubscribeUrl(message.id), 'List-Unsubscribe=One-Click');
      expect(response.status).toBe(200);
      expect(textOf(await response.text())).toContain('Non riceverai più email da Poliambulatorio Test.');
    }
    const rows = await em().find(OptOut, { centerId: clinic.center.id });
    expect(rows.map((r) => ({ channel: r.channel, address: r.address, source: r.source }))).toEqual([
      { channel: 'email', address: clinic.patient.email, source: 'list_unsubscribe' },
    ]);
    expect((await em().findOneOrFail(Patient, { id: clinic.patient.id })).optedOutChannels).toEqual(['email']);
    const callbacks = await em().find(CallbackDelivery, { centerId: clinic.center.id });
    expect(callbacks).toHaveLength(1);
    expect(callbacks[0]).toMatchObject({ type: 'patient.opted_out', payload: { patientId: clinic.patient.externalId, channel: 'email', source: 'list_unsubscribe' } });
    expect(engine.deliveries).toContainEqual({ centerId: clinic.center.id, callbackId: callbacks[0]?.id });
    // Afterwards the GET says it is done.
    expect(textOf(await (await get(links.unsubscribeUrl(message.id))).text())).toContain('Iscrizione annullata');
  });

  it('X1: the page button works too; a bad token is a 404 and changes nothing', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'email', locale: 'en' });
    expect((await post(links.confirmUrl(message.id).replace('/confirm/', '/unsubscribe/'))).status).toBe(404);
    expect(await em().count(OptOut, { centerId: clinic.center.id })).toBe(0);
    const response = await post(links.unsubscribeUrl(message.id));
    expect(textOf(await response.text())).toContain('You will no longer receive emails from Poliambulatorio Test.');
    expect((await em().findOneOrFail(OptOut, { centerId: clinic.center.id })).source).toBe('email_link');
  });
});

describe('A4-read: tracking pixel', () => {
  async function expectPixel(response: Response) {
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(response.headers.get('cache-control')).toContain('no-store');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect(bytes.readUInt16LE(6)).toBe(1); // width
    expect(bytes.readUInt16LE(8)).toBe(1); // height
  }

  it('A4-read: each open is counted, the first sets readAt and is the one "opened" event (a count, not a row per hit), the status moves to read with a "not reliable" note', async () => {
    const clinic = await seedClinic(db.orm, { center: { readTracking: true } });
    const message = await addMessage(db.orm, clinic, { channel: 'email', status: 'sent' });
    await expectPixel(await get(links.trackingPixelUrl(message.id)));
    const first = await em().findOneOrFail(Message, { id: message.id });
    for (let i = 0; i < 4; i += 1) await expectPixel(await get(links.trackingPixelUrl(message.id)));
    const row = await em().findOneOrFail(Message, { id: message.id });
    expect(row.status).toBe('read');
    expect(row.openCount).toBe(5);
    expect(row.readAt).toEqual(first.readAt);
    const events = await em().find(MessageEvent, { messageId: message.id });
    expect(events.map((e) => [e.status, e.detail])).toEqual([['opened', 'opens are not reliable proof of reading']]);
  });

  it('A4-read: an open never moves a failed message; a bad token or a HEAD records nothing but still gets the GIF', async () => {
    const clinic = await seedClinic(db.orm, { center: { readTracking: true } });
    const failed = await addMessage(db.orm, clinic, { channel: 'email', status: 'failed' });
    await expectPixel(await get(links.trackingPixelUrl(failed.id)));
    expect((await em().findOneOrFail(Message, { id: failed.id })).status).toBe('failed');

    const message = await addMessage(db.orm, clinic, { channel: 'email', status: 'delivered' });
    const pixel = links.trackingPixelUrl(message.id);
    const tampered = `${pixel.slice(0, -5)}${pixel.at(-5) === 'x' ? 'y' : 'x'}.gif`;
    await expectPixel(await get(tampered));
    await expectPixel(await get(`${PUBLIC_BASE_URL}/l/open/garbage.gif`));
    expect((await get(links.trackingPixelUrl(message.id), 'HEAD')).status).toBe(200);
    const row = await em().findOneOrFail(Message, { id: message.id });
    expect([row.status, row.openCount, row.readAt]).toEqual(['delivered', 0, null]);
  });

  it('A4-read: a center with read tracking off records no opens', async () => {
    const clinic = await seedClinic(db.orm, { center: { readTracking: false } });
    const message = await addMessage(db.orm, clinic, { channel: 'email', status: 'sent' });
    await expectPixel(await get(links.trackingPixelUrl(message.id)));
    const row = await em().findOneOrFail(Message, { id: message.id });
    expect([row.status, row.openCount]).toEqual(['sent', 0]);
  });
});

describe('B2-confirm A4-read E1: mounted in the API app', () => {
  it('B2-confirm A4-read E1: createApp serves the sub-apps at /l and /webhooks without an API key, errors included', async () => {
    const api = createApp({
      orm: db.orm,
      engine,
      config: { PLATFORM_API_KEY: 'platform-key-0123456789abcdef0123456789', PUBLIC_BASE_URL },
      webhooks: createWebhooks({ orm: db.orm, links, publicBaseUrl: PUBLIC_BASE_URL, twilioAuthToken: 'unused-token-0123456789' }),
    });
    const clinic = await seedClinic(db.orm, { center: { readTracking: true } });
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });

    const page = await api.request(pathOf(links.confirmUrl(message.id)));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect((await api.request(pathOf(links.trackingPixelUrl(message.id)))).headers.get('content-type')).toBe('image/gif');
    expect((await em().findOneOrFail(Message, { id: message.id })).openCount).toBe(1);
    const unsigned = await api.request(`/webhooks/twilio/status/${message.id}`, { method: 'POST', body: new URLSearchParams({ MessageStatus: 'failed' }) });
    expect(unsigned.status).toBe(403);
    const invalid = await api.request('/l/confirm/not-a-link', { method: 'POST' });
    expect(invalid.status).toBe(404);
    expect(invalid.headers.get('content-type')).toContain('text/html');
  });
});
