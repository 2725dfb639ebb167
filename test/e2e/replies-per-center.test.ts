import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/api/app.js';
import { signTwilioRequest } from '../../src/channels/twilio-signature.js';
import { apiOnHarness, eventually, serverNow, startEngineHarness, TWILIO_SID, TWILIO_TOKEN, type EngineHarness } from '../support/engine.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const PLATFORM_KEY = 'platform-key-for-the-e2e-test-0123456789';
const PUBLIC_BASE_URL = 'http://127.0.0.1:9';
/** The harness's default SMS sender: a platform number shared by centers without their own. */
const PLATFORM_NUMBER = '+390200000000';

/**
 * X1 and B2-confirm across centers, as a booking system, the platform and a patient meet them:
 * REST API → workflows → the Twilio test server, and the patient's SMS back through the signed
 * inbound webhook. The number the patient writes to decides which center and which message an
 * answer, a STOP or a START is about.
 */
describe('e2e: SMS replies, STOP and START act only within the number written to', () => {
  let h: EngineHarness;
  let app: App;
  let call: ReturnType<typeof apiOnHarness>['call'];
  beforeAll(async () => {
    h = await startEngineHarness();
    ({ app, call } = apiOnHarness(h, { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL }));
  }, 180_000);
  afterAll(() => h?.stop());

  /** What Twilio posts when a patient texts one of our numbers, signed as Twilio signs it. */
  const patientTexts = async (from: string, to: string, body: string) => {
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const params = { AccountSid: TWILIO_SID, MessageSid: sid, SmsSid: sid, From: from, To: to, Body: body, NumMedia: '0' };
    const url = `${PUBLIC_BASE_URL}/webhooks/twilio/inbound`;
    const res = await app.request('/webhooks/twilio/inbound', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(TWILIO_TOKEN, url, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(200);
    return [...(await res.text()).matchAll(/<Message>([^<]*)<\/Message>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
  };

  /** A center with credits, its own approved SMS sender (or none), and the given event channels. */
  const newCenter = async (name: string, smsSenderId: string | null, events: Record<string, unknown>) => {
    const created = await call(PLATFORM_KEY, 'POST', '/v1/centers', { name });
    expect(created.status).toBe(201);
    const id = created.body.center.id as string;
    const admin = created.body.keys.admin.key as string;
    const booking = created.body.keys.booking.key as string;
    await call(PLATFORM_KEY, 'POST', '/v1/credits/top-ups', { centerId: id, amount: 100 });
    if (smsSenderId) {
      const approved = await call(PLATFORM_KEY, 'PUT', `/v1/centers/${id}/approved-senders`, { emailAddresses: [], emailDomains: [], smsSenderIds: [smsSenderId], voiceNumbers: [] });
      expect(approved.status).toBe(200);
      expect((await call(admin, 'PATCH', '/v1/center', { senders: { smsSenderId } })).status).toBe(200);
    }
    for (const [kind, setting] of Object.entries(events)) expect((await call(admin, 'PUT', `/v1/event-settings/${kind}`, setting)).status).toBe(200);
    return { id, admin, booking };
  };
  type TestCenter = Awaited<ReturnType<typeof newCenter>>;

  const book = async (center: TestCenter, ids: { patient: string; appointment: string }, mobile: string, startAt: Date) => {
    expect((await call(center.booking, 'PUT', `/v1/patients/${ids.patient}`, { firstName: 'Lucia', mobile, privacyConsent: true })).status).toBeLessThan(300);
    const put = await call(center.booking, 'PUT', `/v1/appointments/${ids.appointment}`, {
      revision: 1,
      patientId: ids.patient,
      startAt: startAt.toISOString(),
      endAt: new Date(startAt.getTime() + 30 * 60_000).toISOString(),
    });
    expect(put.status).toBeLessThan(300);
  };
  const statusOf = async (center: TestCenter, appointmentId: string) => (await call(center.admin, 'GET', `/v1/appointments/${appointmentId}`)).body.status as string;
  const smsTo = (mobile: string) => h.twilio.messages.filter((m) => m.to === mobile);
  const newMobile = () => `+39347${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
  const reminderAsking = { 'appointment.reminder': { channels: ['sms'], options: { leadMinutes: 1440, requestConfirmation: true } } };

  it('B2-confirm X1: two centers asked the same mobile to confirm; a NO sent to center A\'s number cancels only A\'s appointment', async () => {
    const a = await newCenter('Centro A', '+390611111111', reminderAsking);
    const b = await newCenter('Centro B', '+390622222222', reminderAsking);
    const mobile = newMobile();
    const start = new Date((await serverNow(h)).getTime() + 3 * DAY);
    await book(a, { patient: 'P-A', appointment: 'A-A' }, mobile, start);
    // B's reminder is the later one: answering "the latest question" would cancel B's.
    await book(b, { patient: 'P-B', appointment: 'A-B' }, mobile, new Date(start.getTime() + HOUR));

    await h.env.sleep(2 * DAY + 2 * HOUR);
    const reminders = await eventually(async () => smsTo(mobile), (sent) => sent.length === 2);
    expect(reminders.map((m) => m.from).sort()).toEqual(['+390611111111', '+390622222222']);

    expect(await patientTexts(mobile, '+390611111111', 'NO')).toEqual(['Appuntamento disdetto. Grazie per avercelo comunicato.']);
    expect(await eventually(() => statusOf(a, 'A-A'), (s) => s === 'cancelled')).toBe('cancelled');
    expect(await statusOf(b, 'A-B')).toBe('booked');
    // The answer to B's number confirms B's: each center hears only what was sent to it.
    expect(await patientTexts(mobile, '+390622222222', 'SI')).toEqual(['Grazie, appuntamento confermato.']);
    expect(await eventually(() => statusOf(b, 'A-B'), (s) => s === 'confirmed')).toBe('confirmed');
  });

  it('B2-confirm X1: with an alphanumeric sender the question comes from a number that takes replies; two open questions: a NO acts on none, is logged on both, and sends back each one\'s link', async () => {
    const c = await newCenter('Centro C', 'StudioC', { ...reminderAsking, 'appointment.created': { channels: ['sms'], options: {} } });
    const mobile = newMobile();
    const start = new Date((await serverNow(h)).getTime() + 3 * DAY);
    await book(c, { patient: 'P-C', appointment: 'C-1' }, mobile, start);
    await call(c.booking, 'PUT', '/v1/appointments/C-2', {
      revision: 1,
      patientId: 'P-C',
      startAt: new Date(start.getTime() + 2 * HOUR).toISOString(),
      endAt: new Date(start.getTime() + 2.5 * HOUR).toISOString(),
    });
    // The booking notices ask nothing: they go from the center's own sender ID.
    const notices = await eventually(async () => smsTo(mobile), (sent) => sent.length === 2);
    expect(notices.map((m) => m.from)).toEqual(['StudioC', 'StudioC']);

    await h.env.sleep(2 * DAY + 3 * HOUR);
    const sent = await eventually(async () => smsTo(mobile), (all) => all.length === 4);
    const questions = sent.slice(2);
    expect(questions.map((m) => m.from)).toEqual([PLATFORM_NUMBER, PLATFORM_NUMBER]);
    expect(questions.every((m) => /SI/.test(m.body))).toBe(true);

    const [intro, ...lines] = (await patientTexts(mobile, PLATFORM_NUMBER, 'NO'))[0]!.split('\n');
    expect(intro).toBe('Hai più appuntamenti in attesa di risposta e non abbiamo cambiato nulla. Apri il link di quello che intendi:');
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.includes(`${PUBLIC_BASE_URL}/l/cancel/`))).toBe(true);

    // E1: the center admin sees the unanswered reply on both reminders.
    const page = await call(c.admin, 'GET', '/v1/messages?eventKind=appointment.reminder');
    expect(page.body.data).toHaveLength(2);
    for (const message of page.body.data as { id: string }[]) {
      const detail = await call(c.admin, 'GET', `/v1/messages/${message.id}`);
      expect(detail.body.history.filter((e: { status: string }) => e.status === 'reply').map((e: { detail: string }) => e.detail)).toEqual([
        expect.stringMatching(/^cancel by SMS \(SM[0-9a-f]{32}\) not applied: 2 appointments await an answer from this number$/),
      ]);
    }

    // The link of the later one cancels that one only.
    const cancelPath = new URL(lines[1]!.split(' ').at(-1)!).pathname;
    expect((await app.request(cancelPath, { method: 'POST' })).status).toBe(200);
    expect(await eventually(() => statusOf(c, 'C-2'), (s) => s === 'cancelled')).toBe('cancelled');
    expect(await statusOf(c, 'C-1')).toBe('booked');
  });

  it('X1: a STOP from a number no center knows yet stops the SMS of the centers behind the number written to, and only theirs; START re-enables only there', async () => {
    const created = { 'appointment.created': { channels: ['sms'], options: {} } };
    const d = await newCenter('Centro D', '+390633333333', created);
    const e = await newCenter('Centro E', '+390644444444', created);
    const f = await newCenter('Centro F', null, created); // sends from the platform number
    const mobile = newMobile();
    const stranger = newMobile();

    expect(await patientTexts(mobile, '+390633333333', 'STOP')).toEqual(['Non riceverai più SMS da noi. Per riattivarli rispondi START.']);
    expect(await patientTexts(stranger, PLATFORM_NUMBER, 'STOP')).toEqual(['Non riceverai più SMS da noi. Per riattivarli rispondi START.']);

    const start = new Date((await serverNow(h)).getTime() + 5 * DAY);
    await book(d, { patient: 'P-D', appointment: 'D-1' }, mobile, start);
    await book(e, { patient: 'P-E', appointment: 'E-1' }, mobile, start);
    await book(f, { patient: 'P-F', appointment: 'F-1' }, stranger, start);

    const noticeOf = async (center: TestCenter, appointmentId: string, accept: (status: string) => boolean) => {
      const page = await eventually(
        async () => (await call(center.admin, 'GET', `/v1/messages?appointmentId=${appointmentId}`)).body,
        (body) => body?.data?.length >= 1 && accept(body.data[0].status),
      );
      return { status: page.data[0].status as string, skipReason: page.data[0].skipReason as string | null };
    };
    const final = (s: string) => s === 'skipped' || s === 'sent' || s === 'delivered';
    expect(await noticeOf(d, 'D-1', final)).toEqual({ status: 'skipped', skipReason: 'opted_out' });
    expect(await noticeOf(e, 'E-1', final)).toMatchObject({ status: expect.stringMatching(/^(sent|delivered)$/) });
    // The platform number is shared: a STOP to it stops every center's SMS from it to that phone.
    expect(await noticeOf(f, 'F-1', final)).toEqual({ status: 'skipped', skipReason: 'opted_out' });
    expect(smsTo(mobile).map((m) => m.from)).toEqual(['+390644444444']);

    // START to E's number changes nothing for D; START to D's number lets D text again.
    expect(await patientTexts(mobile, '+390644444444', 'START')).toEqual(['SMS riattivati. Per non riceverli più rispondi STOP.']);
    await call(d.booking, 'PUT', '/v1/appointments/D-2', { revision: 1, patientId: 'P-D', startAt: start.toISOString(), endAt: new Date(start.getTime() + HOUR).toISOString() });
    expect(await noticeOf(d, 'D-2', final)).toEqual({ status: 'skipped', skipReason: 'opted_out' });
    await patientTexts(mobile, '+390633333333', 'START');
    await call(d.booking, 'PUT', '/v1/appointments/D-3', { revision: 1, patientId: 'P-D', startAt: start.toISOString(), endAt: new Date(start.getTime() + HOUR).toISOString() });
    expect(await noticeOf(d, 'D-3', final)).toMatchObject({ status: expect.stringMatching(/^(sent|delivered)$/) });
    expect(smsTo(mobile).map((m) => m.from)).toEqual(['+390644444444', '+390633333333']);
  });
});
