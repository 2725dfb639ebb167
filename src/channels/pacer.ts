/**
 * A per-sender pace for SMS and voice (A3 sender, bars: "never above the limit, nearest first"):
 * provider calls leave one at a time, evenly spaced a little under the limit, and among those
 * waiting the one with the lowest `order` (the earliest appointment) goes next. No bursts.
 *
 * - The margin (`headroom`, 3 %): a call reaches the provider some milliseconds after it leaves,
 *   and that delay varies; spacing the calls 3 % wider absorbs 30 ms of it over any 10 calls,
 *   so the provider never counts one above the limit in a second.
 * - The gather (`gatherMs`): the first call after a quiet spell waits this long, so that the
 *   sends of a burst (many reminders due at one instant) have arrived and leave nearest first,
 *   not in the order their tasks happened to reach the worker.
 */
export interface Pacer {
  run<T>(order: number, call: () => Promise<T>): Promise<T>;
  /** Calls waiting for their turn. */
  readonly waiting: number;
}

interface Waiter {
  order: number;
  seq: number;
  release: () => void;
}

export interface PacerOptions {
  perSecond: number;
  /** Fraction of the limit kept unused against delivery jitter; default 0.03. */
  headroom?: number;
  /** How long the first call after a quiet spell waits for others to arrive; default 1000 ms. */
  gatherMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function createPacer(options: PacerOptions): Pacer {
  const spacing = 1000 / (options.perSecond * (1 - (options.headroom ?? 0.03)));
  const gatherMs = options.gatherMs ?? 1000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const heap: Waiter[] = [];
  let seq = 0;
  let nextSlot = 0;
  let draining = false;

  const before = (a: Waiter, b: Waiter) => a.order < b.order || (a.order === b.order && a.seq < b.seq);
  const push = (w: Waiter) => {
    heap.push(w);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): Waiter | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length && last) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };

  async function drain() {
    if (draining) return;
    draining = true;
    try {
      // A quiet spell (the last call left over a second ago): let the rest of a burst arrive.
      if (gatherMs > 0 && now() - nextSlot > 1000) await sleep(gatherMs);
      while (heap.length) {
        const wait = nextSlot - now();
        if (wait > 0) await sleep(wait); // waiters arriving meanwhile compete for this slot
        nextSlot = Math.max(now(), nextSlot) + spacing;
        pop()!.release();
      }
    } finally {
      draining = false;
    }
  }

  return {
    async run(order, call) {
      await new Promise<void>((release) => {
        push({ order, seq: seq++, release });
        void drain();
      });
      return call();
    },
    get waiting() {
      return heap.length;
    },
  };
}
