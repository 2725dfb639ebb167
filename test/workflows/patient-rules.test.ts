import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Appointment, Center, Patient, Resource, Service } from '../../src/db/entities/index.js';
import { book, createFixture, eventually, messagesOf, serverNow, setEvent, startEngineHarness, summary, type EngineHarness, type Fixture } from '../support/engine.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('appointment workflow: confirmations, second reminders and per-person rules', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    // X4: the test's booking system listens on loopback, as in the local stack.
    h = await startEngineHarness({ callbackPolicy: { allowLoopback: true } });
  }, 180_000);
  afterAll(() => h?.stop());

  const lines = (id: string, accept: (l: string[]) => boolean) => eventually(async () => summary(await messagesOf(h, id)), accept);
  /** Some rows, none of them still on its way. */
  const settled = (l: string[]) => l.length > 0 && l.every((x) => !/:(scheduled|sending)\b/.test(x));
  const update = async <T extends object>(entity: new () => T, id: string, data: Partial<T>) => {
    const em = h.db.orm.em.fork();
    await em.nativeUpdate(entity, { id } as never, data as never);
  };
  const pastAppointments = async (f: Fixture, statuses: Appointment['status'][]) => {
    const em = h.db.orm.em.fork();
    for (const [i, status] of statuses.entries()) {
      const startAt = new Date(Date.now() - (i + 10) * DAY);
      em.create(Appointment, {
        centerId: f.center.id, externalId: `past-${randomUUID()}`, patientId: f.patient.id,
        startAt, endAt: new Date(startAt.getTime() + HOUR), status,
      });
    }
    await em.flush();
  };

  it('B2-confirm + B2-second: the patient confirms, so no second reminder; the booking system is told (X4)', async () => {
    // The booking system: refuses the first delivery, accepts the retry (X4 retried until accepted).
    const received: { signature: string; body: string; status: number }[] = [];
    const bookingSystem = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const status = received.length === 0 ? 503 : 204;
        received.push({ signature: String(req.headers['x-comms-signature']), body, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => bookingSystem.listen(0, '127.0.0.1', r));
    const port = (bookingSystem.address() as AddressInfo).port;
    const secret = 'whsec_test_0123456789';
    const f = await createFixture(h, { center: { callbackUrl: `http://127.0.0.1:${port}/callbacks`, callbackSecret: secret } });
    await setEvent(h, f.center.id, 'appointment.reminder', ['sms', 'email'], { leadMinutes: 48 * 60, requestConfirmation: true });
    await setEvent(h, f.center.id, 'appointment.second_reminder', ['sms'], { policy: 'all', leadMinutes: 3 * 60 });
    const { appointment } = await book(h, f, { startInMs: 3 * DAY });
    await h.env.sleep(DAY + HOUR);
    await lines(appointment.id, (l) => l.includes('appointment.reminder:sms:sent'));
    const rows = await messagesOf(h, appointment.id);
    const sms = rows.find((m) => m.eventKind === 'appointment.reminder' && m.channel === 'sms')!;
    expect(sms.asksConfirmation).toBe(true);
    expect(sms.body).toMatch(/SI/);
    const email = rows.find((m) => m.eventKind === 'appointment.reminder' && m.channel === 'email')!;
    expect(email.body).toContain(h.links.confirmUrl(email.id));

    await h.engine.patientAnswered(f.center.id, appointment.id, 'confirm', 'sms', 'SM-confirm-1');
    await eventually(() => h.db.orm.em.fork().findOneOrFail(Appointment, { id: appointment.id }), (a) => a.status === 'confirmed');
    await h.env.sleep(2 * DAY);
    const after = await lines(appointment.id, (l) => l.some((x) => x.startsWith('appointment.second_reminder')));
    expect(after).toContain('appointment.second_reminder:sms:skipped:already_confirmed');
    const timeline = await h.engine.timeline(f.center.id, appointment.id);
    expect(timeline?.some((t) => t.eventKind === 'patient.confirm')).toBe(true);

    await eventually(async () => received.length, (n) => n >= 2, 30_000);
    bookingSystem.close();
    const accepted = received.find((r) => r.status === 204)!;
    const [t, v1] = accepted.signature.split(',').map((p) => p.split('=')[1]);
    expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${accepted.body}`).digest('hex'));
    expect(JSON.parse(accepted.body)).toMatchObject({ type: 'appointment.confirmed', data: { appointmentId: appointment.externalId, via: 'sms' } });
  });

  it('B2-confirm + B6: a cancellation through the reminder cancels the appointment and tells the center', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: 24 * 60, requestConfirmation: true });
    const { appointment } = await book(h, f, { startInMs: 2 * DAY });
    await h.env.sleep(DAY + HOUR);
    await lines(appointment.id, (l) => l.includes('appointment.reminder:email:sent'));
    await h.engine.patientAnswered(f.center.id, appointment.id, 'cancel', 'link', 'link:1');
    await lines(appointment.id, (l) => l.includes('appointment.cancelled:email:sent'));
    const row = await h.db.orm.em.fork().findOneOrFail(Appointment, { id: appointment.id });
    expect(row.status).toBe('cancelled');
    const notice = await eventually(
      async () => h.smtp.mails.find((m) => m.envelope.to.includes('admin@clinic.test') && m.parsed.text?.includes('disdetto')),
      (m) => m !== undefined,
    );
    expect(notice?.parsed.text).toContain('disdetto');
  });

  it('B2-second: only the unreliable patient (no-show ≥ 30 %) gets the second SMS', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', [], {});
    await setEvent(h, f.center.id, 'appointment.second_reminder', ['sms'], { policy: 'unreliable', leadMinutes: 3 * 60 });
    await pastAppointments(f, ['attended', 'no_show', 'attended']); // 33 % no-show
    const reliable = await createFixture(h);
    await setEvent(h, reliable.center.id, 'appointment.second_reminder', ['sms'], { policy: 'unreliable', leadMinutes: 3 * 60 });
    await pastAppointments(reliable, ['attended', 'attended', 'attended', 'no_show']); // 25 %
    const a = await book(h, f, { startInMs: DAY });
    const b = await book(h, reliable, { startInMs: DAY });
    await h.env.sleep(22 * HOUR);
    expect(await lines(a.appointment.id, (l) => l.some((x) => x.startsWith('appointment.second_reminder')))).toContain('appointment.second_reminder:sms:sent');
    expect(await lines(b.appointment.id, (l) => l.some((x) => x.startsWith('appointment.second_reminder')))).toContain(
      'appointment.second_reminder:sms:skipped:not_unreliable',
    );
  });

  it('B2-day: two appointments on the same day → one reminder that day', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', ['sms'], { leadMinutes: 24 * 60, onePerDay: true });
    // Visits at 10:00 and 12:00 Rome time, two days on: both reminders fall due on one local day
    // (08:00 and 10:00 the day before), whatever time the test server's clock has reached.
    const now = await serverNow(h);
    const tenOClock = DateTime.fromJSDate(now).setZone('Europe/Rome').plus({ days: 2 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
    const startInMs = tenOClock.toMillis() - now.getTime();
    const first = await book(h, f, { startInMs });
    const second = await book(h, f, { startInMs: startInMs + 2 * HOUR });
    await h.env.sleep(startInMs - DAY + 3 * HOUR);
    const all = [
      ...(await lines(first.appointment.id, (l) => l.some((x) => x.startsWith('appointment.reminder')))),
      ...(await lines(second.appointment.id, (l) => l.some((x) => x.startsWith('appointment.reminder')))),
    ].filter((l) => l.startsWith('appointment.reminder'));
    expect(all.sort()).toEqual(['appointment.reminder:sms:sent', 'appointment.reminder:sms:skipped:one_per_day']);
  });

  it('B3: a survey after the visit; never after a no-show', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', [], {});
    await setEvent(h, f.center.id, 'appointment.post_visit', ['email'], { kind: 'survey', delayMinutes: 120, surveyUrl: 'https://survey.example/s/1' });
    const attended = await book(h, f, { startInMs: 5 * HOUR });
    const missed = await book(h, f, { startInMs: 5 * HOUR });
    await h.env.sleep(5 * HOUR + 40 * 60_000);
    await h.engine.attendance(f.center.id, attended.appointment.id, true, 'att-1');
    await h.engine.attendance(f.center.id, missed.appointment.id, false, 'att-2');
    await h.env.sleep(3 * HOUR);
    const rows = await eventually(() => messagesOf(h, attended.appointment.id), (r) => r.some((m) => m.eventKind === 'appointment.post_visit'));
    const survey = rows.find((m) => m.eventKind === 'appointment.post_visit')!;
    expect(survey.status).toBe('sent');
    expect(survey.body).toContain('https://survey.example/s/1');
    expect(summary(await messagesOf(h, missed.appointment.id), 'appointment.post_visit')).toEqual([]);
  });

  it('B5: the resource is told of a new appointment and reminded of it', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'resource.new_appointment', ['email']);
    await setEvent(h, f.center.id, 'resource.reminder', ['email'], { leadMinutes: 60 });
    const { appointment } = await book(h, f, { startInMs: DAY });
    await h.env.sleep(23 * HOUR + 10 * 60_000);
    const got = await lines(appointment.id, (l) => l.includes('resource.reminder:email:sent'));
    expect(got).toEqual(expect.arrayContaining(['resource.new_appointment:email:sent', 'resource.reminder:email:sent']));
    const rows = await messagesOf(h, appointment.id);
    expect(rows.filter((m) => m.recipientKind === 'resource').every((m) => m.recipientAddress === 'rossi@clinic.test')).toBe(true);
  });

  it('A1: master switch off → nothing sent, skipped as master_off; on again → later messages go out', async () => {
    const f = await createFixture(h, { center: { communicationsEnabled: false } });
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: 24 * 60 });
    const { appointment } = await book(h, f, { startInMs: 3 * DAY });
    expect(await lines(appointment.id, settled)).toEqual(['appointment.created:email:skipped:master_off']);
    await update(Center, f.center.id, { communicationsEnabled: true });
    await h.env.sleep(2 * DAY + HOUR);
    expect(await lines(appointment.id, (l) => settled(l) && l.length > 1)).toEqual(['appointment.created:email:skipped:master_off', 'appointment.reminder:email:sent']);
  });

  it('A2 C1 D1: a disabled channel, a resource or a service with communications off send nothing', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.created', ['sms']); // email off for this event
    const a = await book(h, f, { startInMs: 3 * DAY });
    expect(await lines(a.appointment.id, settled)).toEqual(['appointment.created:sms:sent']);

    await update(Resource, f.resource.id, { memoEnabled: false });
    const b = await book(h, f, { startInMs: 3 * DAY });
    expect(await lines(b.appointment.id, settled)).toEqual(['appointment.created:sms:skipped:resource_memo_off']);

    await update(Resource, f.resource.id, { memoEnabled: true });
    await update(Service, f.service.id, { memoEnabled: false });
    const c = await book(h, f, { startInMs: 3 * DAY });
    expect(await lines(c.appointment.id, settled)).toEqual(['appointment.created:sms:skipped:service_memo_off']);
  });

  it('C2-privacy + C2-pref + B1 online-only: consent, the patient\'s channel and back-office bookings', async () => {
    const f = await createFixture(h, { center: { privacyRequired: true }, patient: { privacyConsent: false } });
    await setEvent(h, f.center.id, 'appointment.created', ['email', 'sms']);
    const noConsent = await book(h, f, { startInMs: 3 * DAY });
    expect(await lines(noConsent.appointment.id, (l) => settled(l) && l.length > 1)).toEqual(['appointment.created:email:skipped:privacy', 'appointment.created:sms:skipped:privacy']);

    await update(Patient, f.patient.id, { privacyConsent: true, channelPreference: 'sms' });
    const prefersSms = await book(h, f, { startInMs: 3 * DAY });
    expect(await lines(prefersSms.appointment.id, (l) => settled(l) && l.length > 1)).toEqual(['appointment.created:email:skipped:preference', 'appointment.created:sms:sent']);

    await update(Patient, f.patient.id, { channelPreference: null });
    await setEvent(h, f.center.id, 'appointment.created', ['email'], { onlineOnly: true });
    const backOffice = await book(h, f, { startInMs: 3 * DAY, bookedOnline: false });
    const online = await book(h, f, { startInMs: 3 * DAY, bookedOnline: true });
    expect(await lines(backOffice.appointment.id, settled)).toEqual(['appointment.created:email:skipped:online_only']);
    expect(await lines(online.appointment.id, settled)).toEqual(['appointment.created:email:sent']);
  });

  it('F1 + B6: with too few credits the message is not sent, listed as no_credits, and the center is warned once', async () => {
    const f = await createFixture(h, { credits: 1, center: { priceSmsSegment: 1, lowCreditThreshold: 0 } });
    await setEvent(h, f.center.id, 'appointment.created', ['sms']);
    const first = await book(h, f, { startInMs: 3 * DAY });
    expect(await lines(first.appointment.id, settled)).toEqual(['appointment.created:sms:sent']);
    const second = await book(h, f, { startInMs: 3 * DAY });
    const third = await book(h, f, { startInMs: 3 * DAY });
    expect(await lines(second.appointment.id, settled)).toEqual(['appointment.created:sms:skipped:no_credits']);
    expect(await lines(third.appointment.id, settled)).toEqual(['appointment.created:sms:skipped:no_credits']);
    const warnings = await eventually(
      async () => h.smtp.mails.filter((m) => m.envelope.to.includes('admin@clinic.test') && /esaurito/.test(m.parsed.text ?? '')),
      (m) => m.length > 0,
    );
    expect(warnings).toHaveLength(1);
    const center = await h.db.orm.em.fork().findOneOrFail(Center, { id: f.center.id });
    expect(center.creditBalance).toBe(0);
  });

  it('B6 F1: permanent delivery failures are refunded; repeated ones and a misconfigured sender tell the center', async () => {
    const f = await createFixture(h, { credits: 100, center: { adminEmails: ['ops@clinic.test'] } });
    await setEvent(h, f.center.id, 'appointment.created', ['sms']);
    h.twilio.failNext({ status: 400, code: 21211 }, 5); // "invalid To number", five times
    const booked = [];
    for (let i = 0; i < 5; i++) booked.push(await book(h, f, { startInMs: 3 * DAY }));
    for (const b of booked) expect(await lines(b.appointment.id, settled)).toEqual(['appointment.created:sms:failed']);
    expect((await h.db.orm.em.fork().findOneOrFail(Center, { id: f.center.id })).creditBalance).toBe(100);
    const failuresNotice = await eventually(
      async () => h.smtp.mails.filter((m) => m.envelope.to.includes('ops@clinic.test') && /errori di consegna/.test(m.parsed.text ?? '')),
      (m) => m.length > 0,
    );
    expect(failuresNotice).toHaveLength(1);

    await update(Center, f.center.id, { smsSenderId: 'Bad_Sender#1' });
    const misconfigured = await book(h, f, { startInMs: 3 * DAY });
    expect(await lines(misconfigured.appointment.id, settled)).toEqual(['appointment.created:sms:failed']);
    const notice = await eventually(
      async () => h.smtp.mails.find((m) => m.envelope.to.includes('ops@clinic.test') && /non è configurato/.test(m.parsed.text ?? '')),
      (m) => m !== undefined,
    );
    expect(notice?.parsed.text).toContain('sms');
  });
});
