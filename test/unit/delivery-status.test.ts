import { describe, expect, it } from 'vitest';
import { advanceStatus, mapTwilioCallStatus, mapTwilioMessageStatus } from '../../src/domain/delivery-status.js';
import { MESSAGE_STATUSES, type MessageStatus } from '../../src/domain/events.js';

describe('E1: Twilio message statuses map to ours', () => {
  it.each([
    ['queued', null],
    ['accepted', null],
    ['scheduled', null],
    ['sending', null],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
    ['undelivered', 'failed'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
    ['DELIVERED', 'delivered'],
    ['something-new', null],
    ['constructor', null],
    ['', null],
  ])('E1: MessageStatus %s → %s', (twilioStatus, ours) => {
    expect(mapTwilioMessageStatus(twilioStatus)).toBe(ours);
  });
});

describe('E1: Twilio call statuses map to ours', () => {
  it.each([
    ['queued', null],
    ['initiated', null],
    ['ringing', null],
    ['in-progress', null],
    ['completed', 'delivered'],
    ['busy', 'failed'],
    ['no-answer', 'failed'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
    ['__proto__', null],
  ])('E1: CallStatus %s → %s', (twilioStatus, ours) => {
    expect(mapTwilioCallStatus(twilioStatus)).toBe(ours);
  });
});

describe('E1: a message status only moves forward', () => {
  it.each<[MessageStatus, MessageStatus, MessageStatus | null]>([
    ['scheduled', 'sending', 'sending'],
    ['sending', 'sent', 'sent'],
    ['sent', 'delivered', 'delivered'],
    ['delivered', 'read', 'read'],
    // steps may be skipped: a fast callback, an email opened (no delivery report for email)
    ['sending', 'delivered', 'delivered'],
    ['sent', 'read', 'read'],
    // duplicates and out-of-order reports are ignored
    ['sent', 'sent', null],
    ['delivered', 'delivered', null],
    ['delivered', 'sent', null],
    ['read', 'delivered', null],
    ['sent', 'sending', null],
    ['sent', 'scheduled', null],
    // failure before delivery; never after it
    ['sending', 'failed', 'failed'],
    ['sent', 'failed', 'failed'],
    ['scheduled', 'failed', 'failed'],
    ['delivered', 'failed', null],
    ['read', 'failed', null],
    // final statuses stay final
    ['failed', 'delivered', null],
    ['failed', 'sent', null],
    ['failed', 'failed', null],
    ['skipped', 'sent', null],
    ['skipped', 'failed', null],
    // a provider never skips a message
    ['sent', 'skipped', null],
  ])('E1: %s + %s → %s', (current, next, expected) => {
    expect(advanceStatus(current, next)).toBe(expected);
  });

  it('E1: replaying any order of the same callbacks ends at the furthest status', () => {
    const callbacks: MessageStatus[] = ['sent', 'delivered', 'read'];
    const orders = [
      ['sent', 'delivered', 'read'],
      ['read', 'sent', 'delivered'],
      ['delivered', 'read', 'sent', 'sent'],
    ] as MessageStatus[][];
    for (const order of orders) {
      let status: MessageStatus = 'sending';
      for (const next of order) status = advanceStatus(status, next) ?? status;
      expect(status, order.join(' → ')).toBe(callbacks.at(-1));
    }
  });

  it('E1: every status is handled (no throw for any pair)', () => {
    for (const current of MESSAGE_STATUSES) {
      for (const next of MESSAGE_STATUSES) expect(() => advanceStatus(current, next)).not.toThrow();
    }
  });
});
