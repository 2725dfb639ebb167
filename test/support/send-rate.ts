/** How many sends fell in each whole second since the first one (index 0 = the first second). */
export function perSecondCounts(times: readonly number[]): number[] {
  if (times.length === 0) return [];
  const first = Math.min(...times);
  const counts: number[] = [];
  for (const t of times) {
    const second = Math.floor((t - first) / 1000);
    while (counts.length <= second) counts.push(0);
    counts[second]! += 1;
  }
  return counts;
}

/** The largest number of sends in any window [t, t + windowMs) (the maxima start at a send). */
export function maxInAnyWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    max = Math.max(max, j - i);
  }
  return max;
}
