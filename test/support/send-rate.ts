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
