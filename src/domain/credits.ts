import type { Channel } from './events.js';

/**
 * F1: what a message costs, in credits. Email and voice cost a flat price per message (a call
 * is one message whatever its length); SMS costs per segment (see `smsSegments`).
 */
export interface Prices {
  email: number;
  smsSegment: number;
  voice: number;
}

function assertCount(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${field}: must be a whole number ≥ 0`);
}

export function messageCost(input: { channel: Channel; segments: number; prices: Prices }): number {
  const { channel, segments, prices } = input;
  assertCount(prices.email, 'prices.email');
  assertCount(prices.smsSegment, 'prices.smsSegment');
  assertCount(prices.voice, 'prices.voice');
  switch (channel) {
    case 'email':
      return prices.email;
    case 'voice':
      return prices.voice;
    case 'sms':
      assertCount(segments, 'segments');
      return segments * prices.smsSegment;
  }
}
