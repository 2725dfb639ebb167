import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message } from '../../src/db/entities/index.js';
import { book, createFixture, eventually, setEvent, startEngineHarness, type EngineHarness } from '../support/engine.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('appointment workflow on the time-skipping server', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
  }, 180_000);
  afterAll(() => h?.stop());

  const messagesOf = (appointmentId: string) => h.db.orm.em.fork().find(Message, { appointmentId }, { orderBy: { createdAt: 'asc' } });

  it('B1 + B2-rem: a booking is confirmed at once and reminded by email and SMS a day before', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', ['email', 'sms'], { leadMinutes: 24 * 60 });
    const { appointment } = await book(h, f, { startInMs: 3 * DAY });
    let rows = await eventually(() => messagesOf(appointment.id), (r) => r.some((m) => m.status === 'sent'));
    expect(rows.filter((m) => m.eventKind === 'appointment.created').map((m) => [m.channel, m.status])).toEqual([['email', 'sent']]);
    expect(rows.some((m) => m.eventKind === 'appointment.reminder')).toBe(false);

    await h.env.sleep(2 * DAY + HOUR);
    rows = await eventually(() => messagesOf(appointment.id), (r) => r.filter((m) => m.eventKind === 'appointment.reminder' && m.status === 'sent').length === 2);
    const reminders = rows.filter((m) => m.eventKind === 'appointment.reminder');
    expect(reminders.map((m) => `${m.channel}:${m.status}`).sort()).toEqual(['email:sent', 'sms:sent']);
    const sms = h.twilio.messages.find((m) => m.to === f.patient.mobile);
    expect(sms?.body).toContain('Giulia');
  });
});
