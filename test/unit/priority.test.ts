import { describe, expect, it } from 'vitest';
import { sendPriority } from '../../src/domain/priority.js';

const now = new Date('2026-12-01T08:00:00Z');
const inHours = (h: number) => new Date(now.getTime() + h * 3600_000);

describe('sendPriority: the nearest appointments are sent first when sends queue up', () => {
  it('B2-rem: an appointment in the next two hours goes before one tomorrow, before one next week', () => {
    expect(sendPriority(inHours(1), now)).toBe(1);
    expect(sendPriority(inHours(6), now)).toBe(2);
    expect(sendPriority(inHours(24), now)).toBe(3);
    expect(sendPriority(inHours(72), now)).toBe(4);
    expect(sendPriority(inHours(24 * 10), now)).toBe(5);
  });

  it('B4: an alert for an appointment already under way is the most urgent', () => {
    expect(sendPriority(inHours(-0.5), now)).toBe(1);
  });

  it('B2-recall: messages without an appointment go last', () => {
    expect(sendPriority(null, now)).toBe(5);
  });

  it('is monotonic: later appointments never get an earlier key', () => {
    let previous = 1;
    for (let h = -1; h < 24 * 14; h += 0.5) {
      const key = sendPriority(inHours(h), now);
      expect(key).toBeGreaterThanOrEqual(previous);
      previous = key;
    }
  });
});
