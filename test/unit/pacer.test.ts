import { describe, expect, it } from 'vitest';
import { createPacer } from '../../src/channels/pacer.js';

/**
 * A virtual clock: each sleep is a timer; once everything runnable has run, time jumps to the
 * earliest timer, as real time would pass, so concurrent sleepers interleave correctly.
 */
function fakeClock() {
  let t = 1_000_000;
  const timers: Array<{ at: number; seq: number; fire: () => void }> = [];
  let seq = 0;
  let pumping = false;
  const pump = () => {
    pumping = false;
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = timers.shift();
    if (!next) return;
    t = Math.max(t, next.at);
    next.fire();
    schedule();
  };
  const schedule = () => {
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  };
  return {
    now: () => t,
    sleep: (ms: number) =>
      new Promise<void>((fire) => {
        timers.push({ at: t + ms, seq: seq++, fire });
        schedule();
      }),
  };
}

describe('pacer: the per-sender SMS / voice limit', () => {
  it('A3: 50 sends at 10/s leave evenly spaced 3 % under the limit, so even 30 ms of network jitter never puts 11 in a second', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, gatherMs: 0, ...clock });
    const times: number[] = [];
    await Promise.all(Array.from({ length: 50 }, (_, i) => pacer.run(i, async () => void times.push(clock.now()))));
    expect(times).toHaveLength(50);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeCloseTo(1000 / 9.7, 6);
    // The provider sees each call 0–30 ms after it left: the worst case is late, early, late…
    const arrivals = times.map((t, i) => t + (i % 2 === 0 ? 30 : 0));
    for (const t of arrivals) expect(arrivals.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(10);
    const rate = (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000);
    expect(rate).toBeGreaterThanOrEqual(9.5); // the bar: ≥ 95 % of the limit
    expect(rate).toBeLessThan(10);
  });

  it('A3: with no headroom the spacing is exactly the limit', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, headroom: 0, gatherMs: 0, ...clock });
    const times: number[] = [];
    await Promise.all(Array.from({ length: 11 }, (_, i) => pacer.run(i, async () => void times.push(clock.now()))));
    expect(times.at(-1)! - times[0]!).toBe(1000);
  });

  it('B2-rem: among waiting sends, the earliest appointment goes first', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, gatherMs: 0, ...clock });
    const sent: number[] = [];
    const orders = [50, 10, 40, 20, 30, 60, 0];
    await Promise.all(orders.map((order) => pacer.run(order, async () => void sent.push(order))));
    // Without a gather the first arrival takes the free slot at once; every later one goes nearest-first.
    expect(sent).toEqual([50, 0, 10, 20, 30, 40, 60]);
  });

  it('B2-rem: after a quiet spell the first send waits a moment, so a burst that arrives over it leaves nearest first', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, gatherMs: 1000, ...clock });
    const sent: Array<[number, number]> = [];
    const run = (order: number) => pacer.run(order, async () => void sent.push([order, clock.now()]));
    const start = clock.now();
    const first = run(50);
    // The rest of the burst trickles in during the gather.
    const rest: Promise<void>[] = [];
    for (const order of [10, 40, 20, 30, 60, 0]) {
      await clock.sleep(100);
      rest.push(run(order));
    }
    await Promise.all([first, ...rest]);
    expect(sent.map(([order]) => order)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(sent[0]![1] - start).toBeGreaterThanOrEqual(1000);

    // Busy again right after: no new gather, the next send takes the next slot.
    const lastAt = sent.at(-1)![1];
    await run(70);
    expect(sent.at(-1)![1] - lastAt).toBeLessThan(200);
  });

  it('hands back the call\'s result and its error', async () => {
    const pacer = createPacer({ perSecond: 100, ...fakeClock() });
    await expect(pacer.run(1, async () => 'ok')).resolves.toBe('ok');
    await expect(pacer.run(1, async () => Promise.reject(new Error('provider down')))).rejects.toThrow('provider down');
    expect(pacer.waiting).toBe(0);
  });
});
