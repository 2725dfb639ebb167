import { paceSpacingMs } from '../domain/rate-window.js';

/**
 * The per-sender pace of SMS and voice (A3 senders, X9; bars: "never above the limit in any
 * second, across all workers; nearest first"). Two halves:
 *
 * - **Which send goes next** is decided in this process, per sender: among the sends waiting
 *   here the lowest `order` (the earliest appointment) goes first. After a quiet spell the first
 *   one waits `gatherMs`, so that a burst (many reminders due at one instant) has arrived and
 *   leaves nearest first, not in the order its tasks reached the worker. Across workers the
 *   phone queue's task priority already hands the nearest sends out first.
 * - **When it may go** is a slot from a `SlotSource` shared by every worker (the database's
 *   `sender_paces` row, src/db/sender-paces.ts): slots of one sender are `spacing` apart, a
 *   little wider than 1 / limit. A process asks for one slot per sender at a time, so it never
 *   holds more than the next one and a more urgent send arriving meanwhile still comes first.
 *
 * The call is given `slot()`: it claims its row first (a database round trip, whose time varies)
 * and then waits for the slot, so that between the slot and the provider only the HTTP request
 * is left. A send whose timer fires more than `lateToleranceMs` after its slot gives the slot up
 * and takes the next: a late send would otherwise sit closer than `spacing` to the one after it.
 */
export interface Pacer {
  /**
   * Runs `call` when it is this send's turn among the sender's waiting sends; `call` awaits
   * `slot()` just before the provider call (or never, if it found nothing to send).
   */
  run<T>(sender: string, order: number, call: (slot: () => Promise<void>) => Promise<T>): Promise<T>;
  /** Calls waiting for their turn, all senders. */
  readonly waiting: number;
  /** Slots given up because the timer fired too late (each one costs one slot of rate). */
  readonly forfeited: number;
}

/** Where slots come from: the next slot of `sender`, as milliseconds from now (≤ 0: now). */
export interface SlotSource {
  reserve(sender: string): Promise<number>;
}

export interface PacerOptions {
  perSecond: number;
  /** Fraction of the limit kept unused against jitter between the slot and the provider; default 0.04. */
  headroom?: number;
  /** How long the first call after a quiet spell waits for others to arrive; default 1000 ms. */
  gatherMs?: number;
  /** A send this late for its slot takes a new one; default 15 ms. */
  lateToleranceMs?: number;
  /** Shared slots (all workers); default: slots of this process only (`localSlots`). */
  slots?: (spacingMs: number) => SlotSource;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Slots kept in this process: the same rule as the shared table, for one process and for tests. */
export function localSlots(spacingMs: number, now: () => number = Date.now): SlotSource {
  const next = new Map<string, number>();
  return {
    async reserve(sender) {
      const slot = Math.max(next.get(sender) ?? 0, now());
      next.set(sender, slot + spacingMs);
      return slot - now();
    },
  };
}

interface Waiter {
  order: number;
  seq: number;
  /** Starts the call; resolves when the sender's turn passes to the next waiter. */
  start: () => Promise<void>;
}

/** The waiting sends of one sender in this process. */
interface Lane {
  heap: Waiter[];
  busy: boolean;
  lastSlotAt: number;
}

export function createPacer(options: PacerOptions): Pacer {
  const spacing = paceSpacingMs(options.perSecond, options.headroom ?? 0.04);
  const gatherMs = options.gatherMs ?? 1000;
  const tolerance = options.lateToleranceMs ?? 15;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const slots = options.slots?.(spacing) ?? localSlots(spacing, now);
  const lanes = new Map<string, Lane>();
  let seq = 0;
  let waiting = 0;
  let forfeited = 0;

  const laneOf = (sender: string): Lane => {
    let lane = lanes.get(sender);
    if (!lane) lanes.set(sender, (lane = { heap: [], busy: false, lastSlotAt: -Infinity }));
    return lane;
  };

  /** Waits for the sender's next shared slot; gives up a slot it would meet too late. */
  async function slotOf(sender: string, lane: Lane): Promise<void> {
    for (;;) {
      const wait = await slots.reserve(sender);
      const at = now() + Math.max(0, wait);
      if (wait > 0) await sleep(wait);
      if (now() - at <= tolerance) break;
      forfeited += 1;
    }
    lane.lastSlotAt = now();
  }

  async function drain(sender: string, lane: Lane) {
    if (lane.busy) return;
    lane.busy = true;
    try {
      // A quiet spell (no slot for over a second): let the rest of a burst arrive.
      if (gatherMs > 0 && now() - lane.lastSlotAt > 1000) await sleep(gatherMs);
      while (lane.heap.length) {
        waiting -= 1;
        await pop(lane.heap)!.start();
      }
    } finally {
      lane.busy = false;
    }
  }

  return {
    run(sender, order, call) {
      const lane = laneOf(sender);
      return new Promise((resolve, reject) => {
        const start = () =>
          new Promise<void>((passTurn) => {
            let asked = false;
            const slot = async () => {
              if (asked) throw new Error('one slot per send');
              asked = true;
              try {
                await slotOf(sender, lane);
              } finally {
                passTurn();
              }
            };
            call(slot).then(resolve, reject).finally(passTurn);
          });
        push(lane.heap, { order, seq: seq++, start });
        waiting += 1;
        void drain(sender, lane);
      });
    },
    get waiting() {
      return waiting;
    },
    get forfeited() {
      return forfeited;
    },
  };
}

const before = (a: Waiter, b: Waiter) => a.order < b.order || (a.order === b.order && a.seq < b.seq);

function push(heap: Waiter[], w: Waiter): void {
  heap.push(w);
  for (let i = heap.length - 1; i > 0; ) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function pop(heap: Waiter[]): Waiter | undefined {
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
}
