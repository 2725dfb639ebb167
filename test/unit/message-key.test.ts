import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, type EventKind } from '../../src/domain/events.js';
import { MESSAGE_KEY_MAX_LENGTH, appointmentScope, dueSlot, messageKey, revisionSlot } from '../../src/domain/message-key.js';

const CENTER = '0b7f6c2e-3c1a-4a7e-9a51-1f4f2b8f9d10';
const APPOINTMENT = 'a5d1e0c4-77b2-4f3c-8e6f-2c9d1b0a7e35';

describe('X5: message idempotency keys', () => {
  it('X5: scope | event | slot | channel', () => {
    const key = messageKey({ scope: appointmentScope(CENTER, APPOINTMENT), eventKind: 'appointment.reminder', slot: revisionSlot(3), channel: 'sms' });
    expect(key).toBe(`appointment:${CENTER}:${APPOINTMENT}|appointment.reminder|r3|sms`);
  });

  it('X5: the same message always gets the same key; any difference changes it', () => {
    const base = { scope: appointmentScope(CENTER, APPOINTMENT), eventKind: 'appointment.reminder' as const, slot: 'r1', channel: 'email' as const };
    expect(messageKey(base)).toBe(messageKey({ ...base }));
    const variants = [
      messageKey(base),
      messageKey({ ...base, channel: 'sms' }),
      messageKey({ ...base, slot: 'r2' }),
      messageKey({ ...base, eventKind: 'appointment.second_reminder' }),
      messageKey({ ...base, scope: appointmentScope(CENTER, CENTER) }),
      messageKey({ ...base, recipientId: APPOINTMENT }),
    ];
    expect(new Set(variants).size).toBe(variants.length);
  });

  it('X5: keys of every event kind stay within 300 characters with uuid ids', () => {
    for (const eventKind of EVENT_KINDS) {
      const key = messageKey({
        scope: appointmentScope(CENTER, APPOINTMENT),
        eventKind: eventKind as EventKind,
        slot: dueSlot(new Date('2026-03-29T06:00:00Z')),
        channel: 'voice',
        recipientId: CENTER,
      });
      expect(key.length).toBeLessThanOrEqual(MESSAGE_KEY_MAX_LENGTH);
    }
  });

  it('X5: a recipient id is appended when one event has several recipients', () => {
    expect(messageKey({ scope: `center:${CENTER}`, eventKind: 'center.notice', slot: 'credits-low.d20261125T1000Z', channel: 'email', recipientId: 'admin-1' })).toBe(
      `center:${CENTER}|center.notice|credits-low.d20261125T1000Z|email|admin-1`,
    );
  });

  it('X5: due-time slots are minute-precise UTC markers', () => {
    expect(dueSlot(new Date('2026-03-29T06:00:59.999Z'))).toBe('d20260329T0600Z');
    expect(dueSlot(new Date('2026-10-25T01:30:00+01:00'))).toBe('d20261025T0030Z');
  });

  it('X5: bad parts are refused with the field name (a "|" would make keys ambiguous)', () => {
    const base = { scope: 'appointment:c:a', eventKind: 'appointment.reminder' as const, slot: 'r1', channel: 'sms' as const };
    expect(() => messageKey({ ...base, scope: 'a|b' })).toThrow(/scope/);
    expect(() => messageKey({ ...base, slot: '' })).toThrow(/slot/);
    expect(() => messageKey({ ...base, recipientId: 'x y' })).toThrow(/recipientId/);
    expect(() => messageKey({ ...base, eventKind: 'appointment.nope' as EventKind })).toThrow(/eventKind/);
    expect(() => messageKey({ ...base, channel: 'fax' as 'sms' })).toThrow(/channel/);
    expect(() => messageKey({ ...base, scope: 'x'.repeat(290) })).toThrow(/300/);
    expect(() => revisionSlot(-1)).toThrow(/revision/);
    expect(() => dueSlot(new Date('nope'))).toThrow(/at/);
    expect(() => appointmentScope('', APPOINTMENT)).toThrow(/centerId/);
  });
});
