import { gateRule, gateVerdict, paceSpacingMs, type GateCall, type GateRule } from '../domain/rate-window.js';
import { DEFAULT_TWILIO_TIMEOUT_MS } from './twilio-client.js';

/**
 * The per-sender pace of SMS and voice (A3 senders, X9; bars: "never above the limit in any
 * second, across all workers; nearest first"). Three parts:
 *
 * - **Which send goes next** is decided in this process, per sender: among the sends waiting
 *   here the lowest `order` (the earliest appointment) goes first. After a quiet spell the first
 *   one waits `gatherMs`, so that a burst (many reminders due at one instant) has arrived and
 *   leaves nearest first, not in the order its tasks reached the worker. Across workers the
 *   phone queue's task priority already hands the nearest sends out first.
 * - **When it may go, evenly:** a slot from a `SlotSource` shared by every worker (the
 *   database's `sender_paces` row, src/db/sender-paces.ts), slots of one sender 1 / limit apart.
 *   A process asks for one slot per sender at a time, so it never holds more than the next one
 *   and a more urgent send arriving meanwhile still comes first.
 * - **The bound:** after its slot a send passes the `SendGate` (shared too, `sender_sends`),
 *   which lets it through only while fewer than the limit of the sender's calls are in flight
 *   or ended within the last second (`gateVerdict`, src/domain/rate-window.ts, says why that
 *   holds at the provider's clock whatever stalls the worker). Even slots alone could not
 *   promise it: a send delayed after its slot (a busy event loop, a slow HTTP path) lands
 *   closer to the next one, and 11 reached the provider in one second in measured runs.
 *
 * The call is given `slot()`: it claims its row first (a database round trip) and then awaits
 * the slot and the gate, so nothing but the HTTP request is left before the provider. The gate
 * counts the call until the provider answered: the rate a sender reaches is `limit` per
 * (1 s + 10 ms margin + the provider's answer time), e.g. 9.8/s at 10/s with 10 ms answers.
 */
export interface Pacer {
  /**
   * Runs `call` when it is this send's turn among the sender's waiting sends; `call` awaits
   * `slot()` just before the provider call (or never, if it found nothing to send) and calls
   * what it returns once the provider answered (else the call counts until `call` settles).
   */
  run<T>(sender: string, order: number, call: (slot: () => Promise<() => void>) => Promise<T>): Promise<T>;
  /** Calls waiting for their turn, all senders. */
  readonly waiting: number;
  /** Times a send, its slot reached, was held back by the gate (the limit was reached). */
  readonly held: number;
}

/** Where slots come from: the next slot of `sender`, as milliseconds from now (≤ 0: now). */
export interface SlotSource {
  reserve(sender: string): Promise<number>;
}

/** The bound on calls per window, shared by every worker of a sender. */
export interface SendGate {
  /** Lets one call through (its ticket), or says how long until an ended call stops counting and how many are in flight. */
  enter(sender: string): Promise<{ ticket: string } | { waitMs: number; inFlight: number }>;
  /** The call settled: it counts for one more window from now. */
  leave(ticket: string): Promise<void>;
}

export interface PacerOptions {
  perSecond: number;
  /** How long the first call after a quiet spell waits for others to arrive; default 1000 ms. */
  gatherMs?: number;
  /** Shared slots (all workers); default: slots of this process only (`localSlots`). */
  slots?: (spacingMs: number) => SlotSource;
  /** The gate's rule; default: `gateRule` of `perSecond` with the Twilio client's HTTP timeout. */
  rule?: GateRule;
  /** Shared gate (all workers); default: a gate of this process only (`localGate`). */
  gate?: (rule: GateRule) => SendGate;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** While the gate is full because of calls still in flight, ask again this often (their end is not known ahead). */
const GATE_POLL_MS = 10;

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

/** The gate kept in this process: the same rule as `sender_gate_enter`, for one process and for tests. */
export function localGate(rule: GateRule, now: () => number = Date.now): SendGate {
  const calls = new Map<string, Map<string, GateCall & { sender: string }>>();
  let tickets = 0;
  return {
    async enter(sender) {
      const mine = calls.get(sender) ?? new Map<string, GateCall & { sender: string }>();
      calls.set(sender, mine);
      const t = now();
      for (const [id, call] of mine) if (call.startedAt < t - rule.inFlightMs - rule.windowMs) mine.delete(id);
      const verdict = gateVerdict([...mine.values()], t, rule);
      if (!verdict.admit) return { waitMs: verdict.waitMs, inFlight: verdict.inFlight };
      const ticket = String(++tickets);
      mine.set(ticket, { sender, startedAt: t, endedAt: null });
      return { ticket };
    },
    async leave(ticket) {
      for (const mine of calls.values()) {
        const call = mine.get(ticket);
        if (call) call.endedAt = now();
      }
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
  const gatherMs = options.gatherMs ?? 1000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const spacing = paceSpacingMs(options.perSecond);
  const slots = options.slots?.(spacing) ?? localSlots(spacing, now);
  const rule = options.rule ?? gateRule(options.perSecond, DEFAULT_TWILIO_TIMEOUT_MS);
  const gate = options.gate?.(rule) ?? localGate(rule, now);
  const lanes = new Map<string, Lane>();
  let seq = 0;
  let waiting = 0;
  let held = 0;

  const laneOf = (sender: string): Lane => {
    let lane = lanes.get(sender);
    if (!lane) lanes.set(sender, (lane = { heap: [], busy: false, lastSlotAt: -Infinity }));
    return lane;
  };

  /** Waits for the sender's next shared slot, then until the gate lets the call through: its ticket. */
  async function admit(sender: string, lane: Lane): Promise<string> {
    const wait = await slots.reserve(sender);
    if (wait > 0) await sleep(wait);
    lane.lastSlotAt = now();
    for (;;) {
      const answer = await gate.enter(sender);
      if ('ticket' in answer) return answer.ticket;
      held += 1;
      await sleep(answer.inFlight > 0 ? Math.min(answer.waitMs, GATE_POLL_MS) : answer.waitMs);
    }
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
            let ticket: string | undefined;
            // Once, when the provider answered or the call settled. Not awaited: a lost `leave`
            // only keeps the call counted until it expires.
            const answered = () => {
              if (ticket !== undefined) void gate.leave(ticket).catch(() => undefined);
              ticket = undefined;
            };
            const slot = async () => {
              if (asked) throw new Error('one slot per send');
              asked = true;
              try {
                ticket = await admit(sender, lane);
              } finally {
                passTurn();
              }
              return answered;
            };
            call(slot)
              .finally(() => {
                passTurn();
                answered();
              })
              .then(resolve, reject);
          });
        push(lane.heap, { order, seq: seq++, start });
        waiting += 1;
        void drain(sender, lane);
      });
    },
    get waiting() {
      return waiting;
    },
    get held() {
      return held;
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
