import { debitForMessage, ledgerSum, topUp } from '../../src/db/credits.js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhooks } from '../../src/api/webhooks/index.js';
import { createChannels, type Channels } from '../../src/channels/index.js';
import { signTwilioRequest } from '../../src/channels/twilio-signature.js';
import { Appointment, CallbackDelivery, Message, MessageEvent, OptOut, Patient } from '../../src/db/entities/index.js';
import { startTwilioTestServer, type TwilioTestServer } from '../../src/dev/twilio-server.js';
import { createLinks, type Links } from '../../src/links.js';
import { freshDatabase } from '../support/db.js';
import { addMessage, mountWebhooks, newMobile, recordingEngine, recordingRelay, reservePort, seedClinic, serveOn, type Clinic, type RecordingEngine } from '../support/webhooks.js';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const PLATFORM_NUMBER = '+390200000000';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let twilio: TwilioTestServer;
let channels: Channels;
let engine: RecordingEngine;
let links: Links;
let baseUrl: string;
let server: { close: () => Promise<void> };

beforeAll(async () => {
  db = await freshDatabase();
  twilio = await startTwilioTestServer({ accountSid, authToken, statusCallbackDelayMs: 5 });
  channels = createChannels({
    smtp: { host: '127.0.0.1', port: 2525, secure: false },
    defaultEmailFrom: { address: 'noreply@platform.test' },
    twilio: { accountSid, authToken, apiBaseUrl: twilio.url, timeoutMs: 2_000 },
    defaultSmsFrom: PLATFORM_NUMBER,
    defaultVoiceFrom: PLATFORM_NUMBER,
  });
  const reserved = await reservePort();
  baseUrl = reserved.url;
  engine = recordingEngine();
  links = createLinks({ publicBaseUrl: baseUrl, secret: 'webhook-test-link-secret-0123456789abcdef' });
  const apps = createWebhooks({ orm: db.orm, links, publicBaseUrl: baseUrl, twilioAuthToken: authToken });
  server = await serveOn(mountWebhooks(apps, recordingRelay(db.orm, engine)), reserved.port);
});

afterAll(async () => {
  await server?.close();
  await channels?.close();
  await twilio?.stop();
  await db?.close();
});

const em = () => db.orm.em.fork();
const reload = (id: string) => em().findOneOrFail(Message, { id });
const eventsOf = async (id: string) => (await em().find(MessageEvent, { messageId: id }, { orderBy: { createdAt: 'asc' } })).map((e) => ({ status: e.status, detail: e.detail }));
const inboundUrl = () => `${baseUrl}/webhooks/twilio/inbound`;
const sms = (from: string, body: string) => twilio.simulateInboundSms({ url: inboundUrl(), from, to: PLATFORM_NUMBER, body });
const smsParams = (from: string, body: string, sid = `SM${randomBytes(16).toString('hex')}`) => ({
  AccountSid: accountSid,
  MessageSid: sid,
  SmsSid: sid,
  From: from,
  To: PLATFORM_NUMBER,
  Body: body,
  NumMedia: '0',
});
const statusParams = (messageSid: string, status: string, extra: Record<string, string> = {}) => ({
  AccountSid: accountSid,
  MessageSid: messageSid,
  SmsSid: messageSid,
  MessageStatus: status,
  SmsStatus: status,
  ...extra,
});
const newSmsSid = () => `SM${randomBytes(16).toString('hex')}`;
const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;
/** The text of the one <Message> or <Say> lines of a TwiML answer. */
const spoken = (twiml: string) => [...twiml.matchAll(/<(?:Message|Say)[^>]*>([^<]*)</g)].map((m) => m[1]);

describe('E1: Twilio delivery status callbacks', () => {
  it('E1: an SMS sent through the real SDK moves to delivered from the signed callbacks of the Twilio test server', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'sms', status: 'sending' });
    const result = await channels.sms.send({
      messageId: message.id,
      centerId: clinic.center.id,
      channel: 'sms',
      to: message.recipientAddress ?? '',
      text: 'Promemoria',
      locale: 'it',
      senders: {},
      statusCallbackUrl: links.statusCallbackUrl(message.id),
    });
    await twilio.idle();

    const callbacks = twilio.callbacks.filter((cb) => cb.url === links.statusCallbackUrl(message.id));
    expect(callbacks.map((cb) => [cb.params.MessageStatus, cb.responseStatus])).toEqual([
      ['sent', 204],
      ['delivered', 204],
    ]);
    const row = await reload(message.id);
    expect(row.status).toBe('delivered');
    expect(row.deliveredAt).toBeInstanceOf(Date);
    // The callback can overtake the send activity's own bookkeeping: the provider id is kept.
    expect(row.providerId).toBe(result.providerId);
    expect(await eventsOf(message.id)).toEqual([
      { status: 'sent', detail: 'twilio: sent' },
      { status: 'delivered', detail: 'twilio: delivered' },
    ]);
  });

  it('E1 F1: an undelivered SMS is failed with the Twilio error code only, a failedAt time, and its credits refunded', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'sms', status: 'sent' });
    await topUp(db.orm.em.fork(), { centerId: clinic.center.id, amount: 5, note: 'test' });
    expect(await debitForMessage(db.orm.em.fork(), { centerId: clinic.center.id, messageId: message.id, amount: 2 })).toMatchObject({ ok: true, balance: 3 });
    twilio.failNext({ callbackStatus: 'undelivered', errorCode: 30005 });
    await channels.sms.send({
      messageId: message.id,
      centerId: clinic.center.id,
      channel: 'sms',
      to: message.recipientAddress ?? '',
      text: 'Promemoria',
      locale: 'it',
      senders: {},
      statusCallbackUrl: links.statusCallbackUrl(message.id),
    });
    await twilio.idle();
    const row = await reload(message.id);
    expect(row.status).toBe('failed');
    expect(row.failureReason).toBe('30005');
    expect(row.failedAt).toBeInstanceOf(Date);
    expect(row.deliveredAt).toBeNull();
    expect(await eventsOf(message.id)).toEqual([{ status: 'failed', detail: 'twilio: undelivered (30005)' }]);
    expect(await ledgerSum(db.orm.em.fork(), clinic.center.id)).toBe(5);
  });

  it('E1: out-of-order and duplicate callbacks change nothing: a late "sent" or "failed" never undoes "delivered"', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'sms', status: 'sent' });
    const url = links.statusCallbackUrl(message.id);
    const sid = newSmsSid();

    expect((await twilio.postSigned(url, statusParams(sid, 'delivered'))).status).toBe(204);
    const delivered = await reload(message.id);
    for (const late of ['sent', 'delivered', 'queued', 'undelivered']) {
      expect((await twilio.postSigned(url, statusParams(sid, late, late === 'undelivered' ? { ErrorCode: '30003' } : {}))).status).toBe(204);
    }
    const row = await reload(message.id);
    expect(row.status).toBe('delivered');
    expect(row.deliveredAt).toEqual(delivered.deliveredAt);
    expect(row.failureReason).toBeNull();
    expect(await eventsOf(message.id)).toEqual([{ status: 'delivered', detail: 'twilio: delivered' }]);
  });

  it('E1: the error code is stored only when it is a number: provider text never reaches the summary', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'sms', status: 'sent' });
    await twilio.postSigned(links.statusCallbackUrl(message.id), statusParams(newSmsSid(), 'failed', { ErrorCode: '<b>+393331234567</b>' }));
    const row = await reload(message.id);
    expect(row.status).toBe('failed');
    expect(row.failureReason).toBe('failed');
  });

  it('E1: a call that completed marks the voice message delivered; busy or no-answer fails it', async () => {
    const clinic = await seedClinic(db.orm);
    const answered = await addMessage(db.orm, clinic, { channel: 'voice', status: 'sent' });
    const missed = await addMessage(db.orm, clinic, { channel: 'voice', status: 'sent' });
    const call = (status: string) => ({ AccountSid: accountSid, CallSid: newCallSid(), CallStatus: status, Direction: 'outbound-api' });

    await twilio.postSigned(links.statusCallbackUrl(answered.id), call('ringing'));
    expect((await reload(answered.id)).status).toBe('sent');
    await twilio.postSigned(links.statusCallbackUrl(answered.id), call('completed'));
    await twilio.postSigned(links.statusCallbackUrl(missed.id), call('no-answer'));

    expect((await reload(answered.id)).status).toBe('delivered');
    const failed = await reload(missed.id);
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toBe('no-answer');
  });

  it('E1: an unknown message id answers 204 like a known one and changes nothing', async () => {
    const before = await em().count(MessageEvent, {});
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await twilio.postSigned(`${baseUrl}/webhooks/twilio/status/${unknown}`, statusParams(newSmsSid(), 'delivered'))).status).toBe(204);
    expect((await twilio.postSigned(`${baseUrl}/webhooks/twilio/status/not-a-uuid`, statusParams(newSmsSid(), 'delivered'))).status).toBe(204);
    expect(await em().count(MessageEvent, {})).toBe(before);
  });
});

describe('E1: X-Twilio-Signature is required on every Twilio webhook', () => {
  async function post(url: string, params: Record<string, string>, signature: string | null) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'x-twilio-signature': signature }) },
      body: new URLSearchParams(params).toString(),
    });
    return response.status;
  }

  it('E1: a missing, tampered, foreign-token or other-URL signature is refused with 403 and nothing changes', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'sms', status: 'sent' });
    const other = await addMessage(db.orm, clinic, { channel: 'sms', status: 'sent' });
    const url = links.statusCallbackUrl(message.id);
    const params = statusParams(newSmsSid(), 'delivered');
    const valid = signTwilioRequest(authToken, url, params);

    expect(await post(url, params, null)).toBe(403);
    expect(await post(url, params, '')).toBe(403);
    expect(await post(url, { ...params, MessageStatus: 'failed', SmsStatus: 'failed' }, valid)).toBe(403); // body changed after signing
    expect(await post(url, params, signTwilioRequest('another-accounts-token', url, params))).toBe(403);
    // A valid signature replayed against another message's URL.
    expect(await post(links.statusCallbackUrl(other.id), params, valid)).toBe(403);

    expect((await reload(message.id)).status).toBe('sent');
    expect((await reload(other.id)).status).toBe('sent');
    expect(await eventsOf(message.id)).toEqual([]);

    // The genuine request goes through; replaying it exactly changes nothing more.
    expect(await post(url, params, valid)).toBe(204);
    expect(await post(url, params, valid)).toBe(204);
    expect((await reload(message.id)).status).toBe('delivered');
    expect(await eventsOf(message.id)).toHaveLength(1);
  });

  it('E1: inbound SMS and keypresses with a bad signature are refused and never reach the engine', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'voice', asksConfirmation: true });
    const before = engine.answers.length;
    const sms = smsParams(clinic.patient.mobile ?? '', 'STOP');
    expect(await post(inboundUrl(), sms, signTwilioRequest('wrong-token', inboundUrl(), sms))).toBe(403);
    const keypress = { AccountSid: accountSid, CallSid: newCallSid(), Digits: '1' };
    expect(await post(links.gatherUrl(message.id), keypress, null)).toBe(403);
    expect(engine.answers.length).toBe(before);
    expect(await em().count(OptOut, { centerId: clinic.center.id })).toBe(0);
  });

  it('E1: behind a proxy the signature is checked against PUBLIC_BASE_URL, not the host the request reached', async () => {
    const clinic = await seedClinic(db.orm);
    const message = await addMessage(db.orm, clinic, { channel: 'sms', status: 'sent' });
    const publicBaseUrl = 'https://comms.example.test/clinic-api';
    const proxied = mountWebhooks(createWebhooks({ orm: db.orm, links, publicBaseUrl, twilioAuthToken: authToken }), recordingRelay(db.orm, engine));
    const path = `/webhooks/twilio/status/${message.id}?attempt=1`;
    const params = statusParams(newSmsSid(), 'delivered');
    const request = (signature: string) =>
      proxied.request(`http://10.0.0.5:3000${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
      });

    expect((await request(signTwilioRequest(authToken, `http://10.0.0.5:3000${path}`, params))).status).toBe(403);
    expect((await request(signTwilioRequest(authToken, `${publicBaseUrl}${path}`, params))).status).toBe(204);
    expect((await reload(message.id)).status).toBe('delivered');
  });
});

describe('X1: SMS STOP and START', () => {
  /** The patient got an SMS of this clinic from the platform's number, the one the tests write to. */
  const textedFromPlatform = (clinic: Clinic) => addMessage(db.orm, clinic, { channel: 'sms', sender: PLATFORM_NUMBER });

  async function optOutState(clinic: Clinic) {
    const patient = await em().findOneOrFail(Patient, { id: clinic.patient.id });
    const rows = await em().find(OptOut, { centerId: clinic.center.id, channel: 'sms', address: clinic.patient.mobile ?? '' });
    return { channels: patient.optedOutChannels, rows: rows.map((r) => r.source) };
  }

  it('X1 X4: STOP opts the number out of SMS of the centers that texted it from the number written to, tells each booking system once, and answers in Italian', async () => {
    const clinic = await seedClinic(db.orm, { center: { callbackUrl: 'https://booking.example.test/hooks', callbackSecret: 's'.repeat(32) } });
    await textedFromPlatform(clinic);
    // A second center never had this patient, but sent an SMS to the same number from the same sender.
    const otherCenter = await seedClinic(db.orm, { patient: { mobile: newMobile() } });
    await addMessage(db.orm, otherCenter, { channel: 'sms', address: clinic.patient.mobile, sender: PLATFORM_NUMBER });

    const reply = await sms(clinic.patient.mobile ?? '', 'STOP');
    expect(reply.status).toBe(200);
    expect(spoken(reply.body)).toEqual(['Non riceverai più SMS da noi. Per riattivarli rispondi START.']);

    expect(await optOutState(clinic)).toEqual({ channels: ['sms'], rows: ['sms_reply'] });
    expect(await em().count(OptOut, { centerId: otherCenter.center.id, channel: 'sms', address: clinic.patient.mobile ?? '' })).toBe(1);
    // The other center's own patient (a different number) is untouched.
    expect((await em().findOneOrFail(Patient, { id: otherCenter.patient.id })).optedOutChannels).toEqual([]);

    const callbacks = await em().find(CallbackDelivery, { centerId: clinic.center.id });
    expect(callbacks.map((c) => ({ type: c.type, payload: c.payload }))).toEqual([
      { type: 'patient.opted_out', payload: expect.objectContaining({ patientId: clinic.patient.externalId, channel: 'sms', source: 'sms_reply' }) },
    ]);
    expect(engine.deliveries).toContainEqual({ centerId: clinic.center.id, callbackId: callbacks[0]?.id });
    // Twilio's own block list agrees: the next SMS to the number is refused with 21610.
    await expect(
      channels.sms.send({ messageId: 'x', centerId: clinic.center.id, channel: 'sms', to: clinic.patient.mobile ?? '', text: 'x', locale: 'it', senders: {} }),
    ).rejects.toMatchObject({ code: '21610' });
  });

  it('X1: a STOP from a number no center knows, to a center\'s own number, opts it out of that center only and answers in the center\'s language', async () => {
    const own = '+390677777777';
    const clinic = await seedClinic(db.orm, { center: { smsSenderId: own, locale: 'en' } });
    const other = await seedClinic(db.orm);
    const stranger = newMobile();
    const reply = await twilio.simulateInboundSms({ url: inboundUrl(), from: stranger, to: own, body: 'STOP' });
    expect(spoken(reply.body)).toEqual(['You will no longer get text messages from us. Reply START to get them again.']);
    expect(await em().count(OptOut, { channel: 'sms', address: stranger })).toBe(1);
    expect(await em().count(OptOut, { centerId: clinic.center.id, channel: 'sms', address: stranger })).toBe(1);
    expect(await em().count(OptOut, { centerId: other.center.id })).toBe(0);
  });

  it('X1 X4: the same inbound STOP delivered twice inserts nothing more (same MessageSid)', async () => {
    const clinic = await seedClinic(db.orm, { center: { callbackUrl: 'https://booking.example.test/hooks', callbackSecret: 's'.repeat(32) } });
    await textedFromPlatform(clinic);
    const params = smsParams(clinic.patient.mobile ?? '', 'Stop');
    expect((await twilio.postSigned(inboundUrl(), params)).status).toBe(200);
    expect((await twilio.postSigned(inboundUrl(), params)).status).toBe(200);
    expect(await optOutState(clinic)).toEqual({ channels: ['sms'], rows: ['sms_reply'] });
    expect(await em().count(CallbackDelivery, { centerId: clinic.center.id })).toBe(1);

    // A new STOP from a number already opted out records no new callback either.
    await sms(clinic.patient.mobile ?? '', 'STOP');
    expect(await em().count(CallbackDelivery, { centerId: clinic.center.id })).toBe(1);
  });

  it.each(['BASTA', 'Disiscrivimi', 'cancellami', 'BAJA', 'dar de baja', 'Parar', 'unsubscribe', 'stop all'])(
    'X1: "%s" is an opt-out in Italian, Spanish or English',
    async (word) => {
      const clinic = await seedClinic(db.orm);
      await textedFromPlatform(clinic);
      const reply = await sms(clinic.patient.mobile ?? '', word);
      expect(reply.status).toBe(200);
      expect(await optOutState(clinic)).toEqual({ channels: ['sms'], rows: ['sms_reply'] });
    },
  );

  it('X1: CANCEL alone is an opt-out, never an appointment cancellation', async () => {
    const clinic = await seedClinic(db.orm);
    await addMessage(db.orm, clinic, { channel: 'sms', asksConfirmation: true });
    const before = engine.answers.length;
    const reply = await sms(clinic.patient.mobile ?? '', 'CANCEL');
    expect(spoken(reply.body)).toEqual(['Non riceverai più SMS da noi. Per riattivarli rispondi START.']);
    expect(engine.answers.length).toBe(before);
    expect(await optOutState(clinic)).toEqual({ channels: ['sms'], rows: ['sms_reply'] });
  });

  it('X1 X4: START removes the opt-out and the channel, tells the booking system, and answers in the patient\'s language', async () => {
    const clinic = await seedClinic(db.orm, {
      patient: { locale: 'en' },
      center: { callbackUrl: 'https://booking.example.test/hooks', callbackSecret: 's'.repeat(32) },
    });
    await textedFromPlatform(clinic);
    const stop = await sms(clinic.patient.mobile ?? '', 'STOP');
    expect(spoken(stop.body)).toEqual(['You will no longer get text messages from us. Reply START to get them again.']);
    const start = await sms(clinic.patient.mobile ?? '', 'START');
    expect(spoken(start.body)).toEqual(['Text messages are back on. Reply STOP to stop them.']);
    expect(await optOutState(clinic)).toEqual({ channels: [], rows: [] });
    const types = (await em().find(CallbackDelivery, { centerId: clinic.center.id }, { orderBy: { createdAt: 'asc' } })).map((c) => c.type);
    expect(types).toEqual(['patient.opted_out', 'patient.opted_in']);
  });
});

describe('B2-confirm: SMS replies', () => {
  it.each([
    ['SI', 'confirm'],
    ['Sì, grazie!', 'confirm'],
    ['Confermo', 'confirm'],
    ['yes', 'confirm'],
    ['Confirmo', 'confirm'],
    ['NO', 'cancel'],
    ['Annulla', 'cancel'],
    ['disdico', 'cancel'],
    ['cancel appointment', 'cancel'],
    ['Cancelar cita', 'cancel'],
  ] as const)('B2-confirm: "%s" answers %s to the latest SMS that asked', async (word, answer) => {
    const clinic = await seedClinic(db.orm);
    await addMessage(db.orm, clinic, { channel: 'sms', asksConfirmation: true });
    const params = smsParams(clinic.patient.mobile ?? '', word);
    const reply = await twilio.postSigned(inboundUrl(), params);
    expect(reply.status).toBe(200);
    expect(spoken(reply.body)).toEqual([answer === 'confirm' ? 'Grazie, appuntamento confermato.' : 'Appuntamento disdetto. Grazie per avercelo comunicato.']);
    expect(engine.answers.at(-1)).toEqual({ centerId: clinic.center.id, appointmentId: clinic.appointment.id, answer, via: 'sms', eventId: params.MessageSid });
    expect(await em().count(OptOut, { centerId: clinic.center.id })).toBe(0);
  });

  it('B2-confirm: the answer goes to the most recent SMS that asked about the one appointment still ahead; the reply is in its language', async () => {
    const clinic = await seedClinic(db.orm);
    const em1 = em();
    const started = em1.create(Appointment, {
      centerId: clinic.center.id,
      externalId: `a-started-${newSmsSid()}`,
      patientId: clinic.patient.id,
      startAt: new Date(Date.now() - 3600_000),
      endAt: new Date(Date.now() + 1800_000),
    });
    const later = em1.create(Appointment, {
      centerId: clinic.center.id,
      externalId: `a-later-${newSmsSid()}`,
      patientId: clinic.patient.id,
      startAt: new Date(Date.now() + 9 * 24 * 3600_000),
      endAt: new Date(Date.now() + 9 * 24 * 3600_000 + 1800_000),
      status: 'cancelled',
    });
    await em1.flush();
    await addMessage(db.orm, clinic, { channel: 'sms', asksConfirmation: true, sentAt: new Date(Date.now() - 7200_000), locale: 'it' });
    await addMessage(db.orm, clinic, { channel: 'sms', asksConfirmation: true, locale: 'en', sentAt: new Date(Date.now() - 3600_000) });
    // Newer, but its appointment already started / was cancelled / it did not ask.
    await addMessage(db.orm, clinic, { channel: 'sms', asksConfirmation: true, appointment: started, sentAt: new Date(Date.now() - 60_000) });
    await addMessage(db.orm, clinic, { channel: 'sms', asksConfirmation: true, appointment: later, sentAt: new Date(Date.now() - 45_000) });
    await addMessage(db.orm, clinic, { channel: 'sms', asksConfirmation: false, sentAt: new Date(Date.now() - 30_000) });

    const reply = await sms(clinic.patient.mobile ?? '', 'OK');
    expect(spoken(reply.body)).toEqual(['Thank you, your appointment is confirmed.']);
    expect(engine.answers.at(-1)).toMatchObject({ appointmentId: clinic.appointment.id, answer: 'confirm', via: 'sms' });
  });

  it('B2-confirm: the same reply delivered twice reaches the engine with the same event id, so the workflow acts once', async () => {
    const clinic = await seedClinic(db.orm);
    await addMessage(db.orm, clinic, { channel: 'sms', asksConfirmation: true });
    const params = smsParams(clinic.patient.mobile ?? '', 'SI');
    await twilio.postSigned(inboundUrl(), params);
    await twilio.postSigned(inboundUrl(), params);
    const mine = engine.answers.filter((a) => a.appointmentId === clinic.appointment.id);
    expect(mine.map((a) => a.eventId)).toEqual([params.MessageSid, params.MessageSid]);
  });

  it('B2-confirm: a yes with nothing awaiting an answer, or free text, changes nothing and gets a short help reply', async () => {
    const clinic = await seedClinic(db.orm);
    await addMessage(db.orm, clinic, { channel: 'sms', asksConfirmation: false });
    const before = engine.answers.length;
    expect(spoken((await sms(clinic.patient.mobile ?? '', 'SI')).body)).toEqual(['Non ci sono appuntamenti in attesa di una tua risposta.']);
    expect(spoken((await sms(clinic.patient.mobile ?? '', 'Posso venire alle 11?')).body)).toEqual([
      'Rispondi SI per confermare, NO per disdire, STOP per non ricevere più SMS.',
    ]);
    expect(engine.answers.length).toBe(before);
    expect(await optOutState(clinic)).toEqual({ channels: [], rows: [] });
  });

  async function optOutState(clinic: Clinic) {
    const patient = await em().findOneOrFail(Patient, { id: clinic.patient.id });
    const rows = await em().find(OptOut, { centerId: clinic.center.id });
    return { channels: patient.optedOutChannels, rows: rows.map((r) => r.source) };
  }
});

describe('B2-confirm: voice keypress', () => {
  /** Places a real call through the SDK with the Gather URL of the message, as the send activity does. */
  async function placeCall(clinic: Clinic, locale: 'it' | 'en' = 'it') {
    const message = await addMessage(db.orm, clinic, { channel: 'voice', asksConfirmation: true, locale });
    const { providerId } = await channels.voice.send({
      messageId: message.id,
      centerId: clinic.center.id,
      channel: 'voice',
      to: clinic.patient.mobile ?? '',
      text: 'Le ricordiamo la visita di domani.',
      locale,
      senders: {},
      gatherUrl: links.gatherUrl(message.id),
    });
    return { message, callSid: providerId };
  }

  it('B2-confirm: pressing 1 confirms and the patient hears thanks in Italian with the call\'s voice', async () => {
    const clinic = await seedClinic(db.orm);
    const { callSid } = await placeCall(clinic);
    const result = await twilio.simulateKeypress({ callSid, digits: '1' });
    expect(result.status).toBe(200);
    expect(result.body).toContain('<Say voice="Polly.Bianca" language="it-IT">Grazie, il suo appuntamento è confermato. Arrivederci.</Say>');
    expect(engine.answers.at(-1)).toEqual({ centerId: clinic.center.id, appointmentId: clinic.appointment.id, answer: 'confirm', via: 'voice', eventId: `${callSid}1` });
  });

  it('B2-confirm: pressing 2 cancels; an English message answers in English', async () => {
    const clinic = await seedClinic(db.orm);
    const { callSid } = await placeCall(clinic, 'en');
    const result = await twilio.simulateKeypress({ callSid, digits: '2' });
    expect(result.body).toContain('<Say voice="Polly.Amy" language="en-GB">Your appointment has been cancelled.');
    expect(engine.answers.at(-1)).toMatchObject({ appointmentId: clinic.appointment.id, answer: 'cancel', via: 'voice', eventId: `${callSid}2` });
  });

  it('B2-confirm: pressing 9 is not understood: the question is asked once more, then goodbye; nothing is answered', async () => {
    const clinic = await seedClinic(db.orm);
    const { message, callSid } = await placeCall(clinic);
    const before = engine.answers.length;
    const first = await twilio.simulateKeypress({ callSid, digits: '9' });
    expect(spoken(first.body)[0]).toBe('Non abbiamo capito la sua scelta.');
    expect(first.body).toContain(`<Gather numDigits="1" action="${links.gatherUrl(message.id)}?again=1"`);
    const second = await twilio.simulateKeypress({ callSid, digits: '9', url: `${links.gatherUrl(message.id)}?again=1` });
    expect(spoken(second.body)).toEqual(['Non abbiamo capito la sua scelta.', 'Non abbiamo ricevuto una risposta. Arrivederci.']);
    expect(second.body).not.toContain('<Gather');
    expect(engine.answers.length).toBe(before);
  });

  it('B2-confirm: a keypress after the appointment started answers nothing', async () => {
    const clinic = await seedClinic(db.orm, { startInMs: -60_000 });
    const { callSid } = await placeCall(clinic);
    const before = engine.answers.length;
    const result = await twilio.simulateKeypress({ callSid, digits: '1' });
    expect(spoken(result.body)).toEqual(['Non è più possibile rispondere a questo messaggio. Arrivederci.']);
    expect(engine.answers.length).toBe(before);
  });
});
