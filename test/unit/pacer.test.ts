import { describe, expect, it } from 'vitest';
import { createPacer, localGate, localSlots, type Pacer } from '../../src/channels/pacer.js';
import { maxInWindow, tightestSpan, windowCounts } from '../../src/domain/rate-window.js';

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

const SENDER = 'sms:+390200000000';

/**
 * `n` sends of one sender through `pacer`, each taking `path()` = [to the provider, back] ms
 * after its slot: the provider's receive times, as the provider counts them.
 */
async function sendThrough(pacer: Pacer, clock: { now: () => number; sleep: (ms: number) => Promise<void> }, n: number, path: () => readonly [number, number]): Promise<number[]> {
  const arrivals: number[] = [];
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      pacer.run(SENDER, i, async (slot) => {
        await slot();
        const [there, back] = path();
        if (there) await clock.sleep(there);
        arrivals.push(clock.now());
        if (back) await clock.sleep(back);
      }),
    ),
  );
  return arrivals.sort((a, b) => a - b);
}

/** A repeatable sequence in [0, 1). */
function seeded(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

describe('pacer: the per-sender SMS / voice limit', () => {
  it('A3: 50 sends at 10/s with a 5 ms HTTP path each way reach the provider at ≥ 95 % of the limit, never 11 in a second', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, gatherMs: 0, ...clock });
    const arrivals = await sendThrough(pacer, clock, 50, () => [5, 5]);
    expect(arrivals).toHaveLength(50);
    expect(maxInWindow(arrivals)).toBe(10);
    const rate = (arrivals.length - 1) / ((arrivals.at(-1)! - arrivals[0]!) / 1000);
    expect(rate).toBeGreaterThanOrEqual(9.5); // the bar: ≥ 95 % of the limit
    expect(rate).toBeLessThan(10);
  });

  it('A3: slots are 1 / limit apart; the 11th send waits until the 1st has been over for a second (and the 10 ms margin)', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, gatherMs: 0, ...clock });
    const times = await sendThrough(pacer, clock, 11, () => [0, 0]);
    expect(times.slice(0, 10).map((t) => t - times[0]!)).toEqual(Array.from({ length: 10 }, (_, i) => i * 100));
    expect(times[10]! - times[0]!).toBe(1010);
    expect(pacer.held).toBeGreaterThan(0);
  });

  it('#13: whatever stalls the way to the provider (timers up to 60 ms late, HTTP path 0–300 ms), never more than the limit in any second; even slots alone put more', async () => {
    const delays = seeded(7);
    const path = () => [Math.floor(delays() * 300), Math.floor(delays() * 300)] as const;
    const lateClock = () => {
      const clock = fakeClock();
      let calls = 0;
      return { now: clock.now, sleep: (ms: number) => clock.sleep(ms + (++calls % 3 === 0 ? 60 : 0)) };
    };
    const gated = lateClock();
    const arrivals = await sendThrough(createPacer({ perSecond: 10, gatherMs: 0, ...gated }), gated, 200, path);
    expect(arrivals).toHaveLength(200);
    expect(maxInWindow(arrivals)).toBeLessThanOrEqual(10);

    // The same stalls with a gate that lets every call through (the slots alone, as before #13).
    const open = lateClock();
    const openGate = () => ({ enter: async () => ({ ticket: 'x' }), leave: async () => undefined });
    const ungated = await sendThrough(createPacer({ perSecond: 10, gatherMs: 0, gate: openGate, ...open }), open, 200, path);
    expect(maxInWindow(ungated)).toBeGreaterThan(10);
  });

  it('B2-rem: among waiting sends, the earliest appointment goes first', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, gatherMs: 0, ...clock });
    const sent: number[] = [];
    const orders = [50, 10, 40, 20, 30, 60, 0];
    await Promise.all(orders.map((order) => pacer.run(SENDER, order, async (slot) => void (await slot(), sent.push(order)))));
    // Without a gather the first arrival takes the free slot at once; every later one goes nearest-first.
    expect(sent).toEqual([50, 0, 10, 20, 30, 40, 60]);
  });

  it('B2-rem: after a quiet spell the first send waits a moment, so a burst that arrives over it leaves nearest first', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, gatherMs: 1000, ...clock });
    const sent: Array<[number, number]> = [];
    const run = (order: number) => pacer.run(SENDER, order, async (slot) => void (await slot(), sent.push([order, clock.now()])));
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
    await expect(pacer.run(SENDER, 1, async (slot) => (await slot(), 'ok'))).resolves.toBe('ok');
    await expect(pacer.run(SENDER, 1, async (slot) => (await slot(), Promise.reject(new Error('provider down'))))).rejects.toThrow('provider down');
    expect(pacer.waiting).toBe(0);
  });

  it('X9: two workers sharing one slot source send at the one limit together, not twice it', async () => {
    const clock = fakeClock();
    const shared = (spacingMs: number) => sharedSource ?? (sharedSource = localSlots(spacingMs, clock.now));
    let sharedSource: ReturnType<typeof localSlots> | undefined;
    const gate = localGate({ limit: 5, windowMs: 1010, inFlightMs: 11_010 }, clock.now);
    const workers = [0, 1].map(() => createPacer({ perSecond: 5, gatherMs: 0, slots: shared, gate: () => gate, ...clock }));
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => workers[i % 2]!.run(SENDER, i, async (slot) => void (await slot(), times.push(clock.now())))),
    );
    expect(times).toHaveLength(40);
    expect(maxInWindow(times)).toBe(5);
    const rate = (times.length - 1) / ((Math.max(...times) - Math.min(...times)) / 1000);
    expect(rate).toBeGreaterThan(4.75); // ≥ 95 % of the limit across both
    // Each worker alone would have paced at 5/s, 10/s together: the old per-process pacer.
    const apart = [0, 1].map(() => createPacer({ perSecond: 5, gatherMs: 0, ...clock }));
    const unshared: number[] = [];
    await Promise.all(Array.from({ length: 40 }, (_, i) => apart[i % 2]!.run(SENDER, i, async (slot) => void (await slot(), unshared.push(clock.now())))));
    expect(maxInWindow(unshared)).toBe(10);
  });

  it('A3: each sender has its own pace; a busy sender does not hold up another', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 2, gatherMs: 0, ...clock });
    const start = clock.now();
    const done: Record<string, number> = {};
    const send = (sender: string, i: number) => pacer.run(sender, i, async (slot) => void (await slot(), (done[`${sender}#${i}`] = clock.now() - start)));
    await Promise.all([...Array.from({ length: 6 }, (_, i) => send('sms:BUSY', i)), send('sms:OTHER', 0)]);
    expect(done['sms:OTHER#0']).toBe(0);
    expect(done['sms:BUSY#5']).toBeGreaterThan(2500);
  });

  it('a call that finds nothing to send (no slot asked) passes the turn on', async () => {
    const clock = fakeClock();
    const pacer = createPacer({ perSecond: 10, gatherMs: 0, ...clock });
    const sent: number[] = [];
    await Promise.all([
      pacer.run(SENDER, 1, async () => false),
      pacer.run(SENDER, 2, async (slot) => (await slot(), sent.push(2), true)),
    ]);
    expect(sent).toEqual([2]);
    expect(pacer.waiting).toBe(0);
  });
});

describe('the provider\'s count: the most sends in any 1-s window', () => {
  it('counts windows that start at any send, in any input order', () => {
    expect(maxInWindow([])).toBe(0);
    expect(maxInWindow([5])).toBe(1);
    // 0, 100, …, 900 and 1000: the window [0, 1000) holds 10, [100, 1100) holds 10.
    expect(maxInWindow(Array.from({ length: 11 }, (_, i) => i * 100))).toBe(10);
    expect(maxInWindow([1000, 0, 999, 500])).toBe(3);
    // A window that does not start at 0: 11 within [1001, 2001).
    expect(maxInWindow([0, ...Array.from({ length: 11 }, (_, i) => 1001 + i * 99)])).toBe(11);
    expect(maxInWindow([0, 0, 0], 1)).toBe(3);
  });

  it('counts windows above a limit', () => {
    expect(windowCounts([0, 10, 20, 990, 995], 1000, 4)).toEqual({ max: 5, over: 1 });
  });

  it('the margin to a violation: the shortest span of limit + 1 consecutive sends', () => {
    const even = Array.from({ length: 30 }, (_, i) => i * 104);
    expect(tightestSpan(even, 11)).toBe(1040); // 40 ms more than a second: 10 in any second
    expect(tightestSpan([500, 0, 950, 100], 3)).toBe(500);
    expect(tightestSpan([1, 2], 3)).toBeNull();
  });
});
