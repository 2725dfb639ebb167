import { describe, expect, it } from 'vitest';
import { messageCost } from '../../src/domain/credits.js';
import { smsSegments } from '../../src/domain/sms-segments.js';

const PRICES = { email: 0, smsSegment: 1, voice: 2 };

describe('F1: message cost', () => {
  it('F1: email and voice cost a flat price per message', () => {
    expect(messageCost({ channel: 'email', segments: 0, prices: PRICES })).toBe(0);
    expect(messageCost({ channel: 'email', segments: 0, prices: { ...PRICES, email: 1 } })).toBe(1);
    expect(messageCost({ channel: 'voice', segments: 0, prices: PRICES })).toBe(2);
  });

  it('F1: SMS cost the price per segment', () => {
    expect(messageCost({ channel: 'sms', segments: 1, prices: PRICES })).toBe(1);
    expect(messageCost({ channel: 'sms', segments: 3, prices: { ...PRICES, smsSegment: 5 } })).toBe(15);
  });

  it('F1: a 161-character SMS costs two segments, a 71-character UCS-2 one two as well', () => {
    expect(messageCost({ channel: 'sms', segments: smsSegments('a'.repeat(161)).segments, prices: PRICES })).toBe(2);
    expect(messageCost({ channel: 'sms', segments: smsSegments(`È${'a'.repeat(70)}`).segments, prices: PRICES })).toBe(2);
    expect(messageCost({ channel: 'sms', segments: smsSegments('a'.repeat(160)).segments, prices: PRICES })).toBe(1);
  });

  it('F1: bad prices or segment counts name the field', () => {
    expect(() => messageCost({ channel: 'sms', segments: -1, prices: PRICES })).toThrow(/segments/);
    expect(() => messageCost({ channel: 'sms', segments: 1.5, prices: PRICES })).toThrow(/segments/);
    expect(() => messageCost({ channel: 'email', segments: 0, prices: { ...PRICES, email: -1 } })).toThrow(/prices\.email/);
    expect(() => messageCost({ channel: 'voice', segments: 0, prices: { ...PRICES, voice: 0.5 } })).toThrow(/prices\.voice/);
    expect(() => messageCost({ channel: 'sms', segments: 1, prices: { ...PRICES, smsSegment: Number.NaN } })).toThrow(/prices\.smsSegment/);
  });
});
