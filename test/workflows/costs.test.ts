import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceAlert } from '../../src/db/entities/index.js';
import { localDayKey } from '../../src/domain/local-time.js';
import { apiOnHarness, eventually, serverNow, startEngineHarness, type EngineHarness } from '../support/engine.js';

const DAY = 24 * 3600_000;
const PLATFORM_KEY = 'platform-key-for-the-costs-test-0123456789';
const ITALIAN = ['+393331110001', '+393331110002', '+393331110003', '+393331110004'];
const JAMAICAN = '+18765551234'; // a premium-rate favourite of SMS pumping

interface MessageView {
  status: string;
  skipReason: string | null;
  credits: number;
  recipient: { address: string | null };
}

/**
 * Issue 9, costs, as a booking system and the platform meet them: the REST API on the real
 * engine (time-skipping Temporal, the Twilio test server with the real SDK, an SMTP server).
 */
describe('costs: alerts repeated, destinations abroad and the daily cap', () => {
  let h: EngineHarness;
  let call: ReturnType<typeof apiOnHarness>['call'];
  beforeAll(async () => {
    h = await startEngineHarness();
    ({ call } = apiOnHarness(h, { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: 'http://127.0.0.1:9' }));
  }, 180_000);
  afterAll(() => h?.stop());

  it('B4 F1 B6 E1: five identical alerts text each patient once; no SMS abroad; beyond the daily cap skipped, not debited, admins told once', async () => {
    const created = await call(PLATFORM_KEY, 'POST', '/v1/centers', { name: 'Centro Costi', adminEmails: ['segreteria@costi.test'] });
    const centerId = created.body.center.id as string;
    const { admin: { key: admin }, booking: { key: booking } } = created.body.keys;
    expect((await call(PLATFORM_KEY, 'POST', '/v1/credits/top-ups', { centerId, amount: 100 })).status).toBe(201);
    expect((await call(PLATFORM_KEY, 'PATCH', `/v1/centers/${centerId}/costs`, { dailyPhoneCap: 3 })).status).toBe(200);
    expect((await call(admin, 'PUT', '/v1/event-settings/alert.delay', { channels: ['sms'], options: {} })).status).toBe(200);
    // Only the alert texts: no booking notice, no reminder (they would count to the cap too).
    for (const kind of ['appointment.created', 'appointment.reminder']) {
      expect((await call(admin, 'PUT', `/v1/event-settings/${kind}`, { channels: [], options: {} })).status).toBe(200);
    }
    await call(booking, 'PUT', '/v1/resources/R-1', { name: 'Dott. Neri' });

    const start0 = new Date((await serverNow(h)).getTime() + DAY);
    start0.setUTCHours(8, 0, 0, 0);
    for (const [i, mobile] of [...ITALIAN, JAMAICAN].entries()) {
      await call(booking, 'PUT', `/v1/patients/P-${i}`, { firstName: `Paziente${i}`, mobile, privacyConsent: true });
      const start = new Date(start0.getTime() + i * 20 * 60_000);
      const put = await call(booking, 'PUT', `/v1/appointments/A-${i}`, {
        revision: 1, patientId: `P-${i}`, resourceId: 'R-1', startAt: start.toISOString(), endAt: new Date(start.getTime() + 20 * 60_000).toISOString(),
      });
      expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
    }

    // The same delay reported five times (a double-clicking receptionist, a retrying integration).
    const alert = { resourceId: 'R-1', day: localDayKey(start0, 'Europe/Rome'), kind: 'delay', delayMinutes: 30 };
    const answers: Awaited<ReturnType<typeof call>>[] = [];
    for (let i = 0; i < 5; i++) answers.push(await call(booking, 'POST', '/v1/alerts', alert));
    expect(answers.map((a) => a.status)).toEqual([202, 200, 200, 200, 200]);
    await eventually(async () => (await call(booking, 'GET', `/v1/alerts/${answers[0]!.body.id}`)).body, (a) => a?.progress?.done === true);

    const page = await eventually(
      async () => (await call(admin, 'GET', '/v1/messages?eventKind=alert.delay&limit=100')).body,
      (p) => p?.data?.length === 5 && p.data.every((m: MessageView) => m.status !== 'scheduled' && m.status !== 'sending'),
    );
    const messages = page.data as MessageView[];
    expect(await h.db.orm.em.fork().count(ResourceAlert, { centerId })).toBe(1);

    // Abroad: skipped with its reason, nothing sent, nothing debited.
    const abroad = messages.filter((m) => m.recipient.address === JAMAICAN);
    expect(abroad).toEqual([expect.objectContaining({ status: 'skipped', skipReason: 'destination_country', credits: 0 })]);
    expect(h.twilio.messages.filter((m) => m.to === JAMAICAN)).toEqual([]);

    // Four Italian patients, a cap of three a day: three texted once each, the fourth skipped.
    const italian = messages.filter((m) => m.recipient.address !== JAMAICAN);
    const sent = italian.filter((m) => ['sent', 'delivered'].includes(m.status));
    expect(sent, JSON.stringify(messages)).toHaveLength(3);
    expect(italian.filter((m) => m.skipReason === 'daily_cap')).toEqual([expect.objectContaining({ status: 'skipped', credits: 0 })]);
    const texts = await eventually(async () => h.twilio.messages.filter((m) => ITALIAN.includes(m.to)), (t) => t.length >= 3);
    expect(texts).toHaveLength(3);
    expect(new Set(texts.map((t) => t.to)).size).toBe(3);

    // F1: only what was sent is debited.
    const credits = await call(admin, 'GET', '/v1/credits');
    const debited = sent.reduce((sum, m) => sum + m.credits, 0);
    expect(debited).toBeGreaterThan(0);
    expect(credits.body.balance).toBe(100 - debited);

    // B6: the admins hear of the cap, once.
    const notices = await eventually(
      async () => h.smtp.mails.filter((m) => m.envelope.to.includes('segreteria@costi.test') && /limite giornaliero di 3/.test(m.parsed.text ?? '')),
      (n) => n.length >= 1,
    );
    expect(notices).toHaveLength(1);
  });
});
