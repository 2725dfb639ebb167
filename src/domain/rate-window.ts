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

/**
 * The even spacing of sends under a per-second limit, kept `headroom` (a fraction) below it so
 * that what happens between the release and the provider's clock (timer lateness, the HTTP
 * path) has `10 × spacing − 1000` ms of room before an 11th send could fall in a second.
 */
export function paceSpacingMs(perSecond: number, headroom: number): number {
  return 1000 / (perSecond * (1 - headroom));
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
