import { describe, expect, it } from 'vitest';
import { createPacer } from '../../src/channels/pacer.js';

/** A fake clock: sleeping advances time (after pending callbacks ran, as a real timer would). */
function fakeClock() {
  let t = 1_000_000;
  return {
    now: () => t,
    sleep: (ms: number) =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          t += ms;
          resolve();
        }),
      ),
  };
}

describe('pacer: the per-sender SMS / voice limit', () => {
  it('A3: 50 sends at 10/s leave 100 ms apart, never two in the same 100 ms, 10 in any second', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, ...clock });
    const times: number[] = [];
    await Promise.all(Array.from({ length: 50 }, (_, i) => pacer.run(i, async () => void times.push(clock.now()))));
    expect(times).toHaveLength(50);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(100);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(10);
    expect(times.at(-1)! - times[0]!).toBe(4900); // exactly the limit, no slack
  });

  it('B2-rem: among waiting sends, the earliest appointment goes first', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, ...clock });
    const sent: number[] = [];
    const orders = [50, 10, 40, 20, 30, 60, 0];
    await Promise.all(orders.map((order) => pacer.run(order, async () => void sent.push(order))));
    // The first arrival takes the free slot at once; every later one goes nearest-first.
    expect(sent).toEqual([50, 0, 10, 20, 30, 40, 60]);
  });

  it('hands back the call\'s result and its error', async () => {
    const pacer = createPacer({ perSecond: 100, ...fakeClock() });
    await expect(pacer.run(1, async () => 'ok')).resolves.toBe('ok');
    await expect(pacer.run(1, async () => Promise.reject(new Error('provider down')))).rejects.toThrow('provider down');
    expect(pacer.waiting).toBe(0);
  });
});
