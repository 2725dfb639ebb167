import type { SkipReason } from './events.js';

/**
 * Messages are prepared and paid up to this long before they are due, so that only the send is
 * left at the due instant (a burst of reminders at 09:00 costs one send each then).
 */
export const PREPARE_AHEAD_MS = 10 * 60_000;

/** What becomes of a step prepared ahead when the workflow plans again. */
export type PreparedFate =
  /** Still due at the time it was prepared for, from unchanged data: send it then. */
  | { kind: 'keep' }
  /** Release the prepared rows (skipped with `reason`, refunded). `done`: the plan skips the step for good; otherwise it is prepared again. */
  | { kind: 'release'; reason: SkipReason; done: boolean };

export function preparedFate(input: {
  /** The due time it was prepared for. */
  preparedAt: number;
  /** The same step in the new plan; undefined when the plan no longer has it (moved, cancelled). */
  step: { at: number; skip?: SkipReason | undefined } | undefined;
  now: number;
  /** The appointment or the center's settings changed since it was prepared: its text may be stale. */
  changed: boolean;
  /** The appointment was cancelled: nothing more is sent, and the list says so (not `superseded`). */
  cancelled?: boolean;
}): PreparedFate {
  const { preparedAt, step, now, changed } = input;
  if (step?.skip) return { kind: 'release', reason: step.skip, done: true };
  if (input.cancelled) return { kind: 'release', reason: 'cancelled', done: true };
  if (!step || changed) return { kind: 'release', reason: 'superseded', done: false };
  // Once due, a plan says "now" (never earlier than the present): still the same time.
  const sameTime = step.at === preparedAt || (step.at <= now && preparedAt <= now);
  return sameTime ? { kind: 'keep' } : { kind: 'release', reason: 'superseded', done: false };
}
