/**
 * The provider's view of a rate limit: how many sends fall in any sliding window of `windowMs`
 * (default one second). Pure, so benchmarks and tests on any cluster count the same way.
 */

/** The largest number of `times` (epoch ms, any order) inside any window [t, t + windowMs). */
export function maxInWindow(times: readonly number[], windowMs = 1000): number {
  return windowCounts(times, windowMs).max;
}

/**
 * The largest count in one window and how many windows exceed `limit`. Windows start at a send:
 * a window that holds the most sends can always slide forward until its first one opens it.
 */
export function windowCounts(times: readonly number[], windowMs = 1000, limit = Infinity): { max: number; over: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let over = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    max = Math.max(max, j - i);
    if (j - i > limit) over += 1;
  }
  return { max, over };
}

/** The even spacing of a sender's slots under a per-second limit. */
export function paceSpacingMs(perSecond: number): number {
  return 1000 / perSecond;
}

/**
 * The hard bound on what the provider counts (#13): a call is let through only while fewer
 * than `limit` of the sender's calls are in flight or ended within the last `windowMs`.
 *
 * Why it holds whatever the delays: say `limit + 1` calls reached the provider inside one
 * window, and take the one let through last, at time t. Each of the others reached the provider
 * inside that window, so it ended (its answer came after it arrived) no earlier than t − window,
 * and it was let through before t: at t it was in flight or had ended within the window, so
 * `limit` were counted and the last one could not have been let through. Stalls between the
 * admission and the provider, or between the provider's answer and its record, only make the
 * count more cautious. `marginMs` covers the rounding between the provider's clock readings and
 * ours; a call counts as in flight at most `inFlightMs` (its HTTP timeout plus the window: a
 * request cannot reach the provider after its timeout, so a dead worker's calls expire).
 */
export interface GateRule {
  limit: number;
  windowMs: number;
  inFlightMs: number;
}

export const GATE_MARGIN_MS = 10;

/** The gate's rule for a limit per second (a limit under 1/s: one call per 1 / limit seconds). */
export function gateRule(perSecond: number, httpTimeoutMs: number): GateRule {
  const limit = Math.max(1, Math.floor(perSecond));
  const windowMs = (perSecond >= 1 ? 1000 : 1000 / perSecond) + GATE_MARGIN_MS;
  return { limit, windowMs, inFlightMs: httpTimeoutMs + windowMs };
}

export interface GateCall {
  startedAt: number;
  endedAt: number | null;
}

/** The gate's answer at `now`: admit, or how long until an ended call stops counting (∞ if none). */
export function gateVerdict(calls: readonly GateCall[], now: number, rule: GateRule): { admit: true } | { admit: false; waitMs: number; inFlight: number } {
  let counted = 0;
  let inFlight = 0;
  let freed = Infinity;
  for (const call of calls) {
    if (call.endedAt === null) {
      if (call.startedAt <= now - rule.inFlightMs) continue;
      counted += 1;
      inFlight += 1;
    } else if (call.endedAt > now - rule.windowMs) {
      counted += 1;
      freed = Math.min(freed, call.endedAt + rule.windowMs);
    }
  }
  return counted < rule.limit ? { admit: true } : { admit: false, waitMs: Math.max(0, freed - now), inFlight };
}

/**
 * The shortest time covered by `count` consecutive sends (null if fewer). Above `windowMs` means
 * no window holds `count`; for `count` = limit + 1 the difference is the margin left to a
 * violation (how much more jitter the provider's clock could have seen and still counted ≤ limit).
 */
export function tightestSpan(times: readonly number[], count: number): number | null {
  const sorted = [...times].sort((a, b) => a - b);
  let tightest: number | null = null;
  for (let i = 0; i + count - 1 < sorted.length; i++) {
    const span = sorted[i + count - 1]! - sorted[i]!;
    if (tightest === null || span < tightest) tightest = span;
  }
  return tightest;
}
