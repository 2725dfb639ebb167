/**
 * Which messages go first when sends queue up (a burst of reminders, an SMS rate limit): the
 * nearest appointments. Temporal task-queue priority keys run 1 (first) to 5 (last), 3 = default.
 */
const HOUR = 3600_000;
const LIMITS: [number, number][] = [
  [2 * HOUR, 1],
  [12 * HOUR, 2],
  [48 * HOUR, 3],
  [7 * 24 * HOUR, 4],
];

export function sendPriority(startAt: Date | null, now: Date): number {
  if (!startAt) return 5; // recalls, notices without an appointment: nothing is waiting on them
  const ahead = startAt.getTime() - now.getTime();
  for (const [limit, key] of LIMITS) if (ahead < limit) return key;
  return 5;
}
