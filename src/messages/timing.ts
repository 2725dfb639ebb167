/**
 * The timing of a send, in one place: the claim's lease, how often a live attempt renews it,
 * the activity timeouts and the phone queue's concurrency depend on one another. Pure (no I/O),
 * so workflows import it too.
 */

/** A send claim not renewed for this long belongs to a dead attempt and may be taken over. */
export const SEND_LEASE_MS = 10_000;
/** A live send attempt renews its claim (and, on the phone queue, heartbeats) this often. */
export const SEND_RENEW_EVERY_MS = 2_000;
/**
 * Phone-queue sends heartbeat: when a worker dies, Temporal starts the next attempt this long
 * after the last heartbeat instead of after the whole start-to-close timeout; the newer attempt
 * takes the claim over at once (its attempt number is the fencing token).
 */
export const PHONE_HEARTBEAT_TIMEOUT_MS = 10_000;
/** The longest a phone send waits for its turn under the per-sender pace. */
export const PHONE_QUEUE_HOLD_SECONDS = 60;
/** One send activity: the pace wait plus the provider call, with room to spare. */
export const SEND_START_TO_CLOSE_MS = 2 * PHONE_QUEUE_HOLD_SECONDS * 1000;
/** Retries of a send; the first comes soon, so a released claim goes out again quickly. */
export const SEND_RETRY = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 12 } as const;

/** Phone sends one worker runs at once: enough to hold PHONE_QUEUE_HOLD_SECONDS of its pace. */
export function phoneQueueConcurrency(perSecond: number): number {
  return Math.max(10, Math.ceil(perSecond * PHONE_QUEUE_HOLD_SECONDS));
}

/**
 * #13: an email prepared ahead is the dispatcher's (src/messages/dispatcher.ts) from its due time
 * until this long after; then its appointment's workflow checks it and sends it itself if it is
 * still `scheduled` (no dispatcher ran), or resolves a dispatcher's claim that died. Longer than
 * SEND_LEASE_MS, so a dead dispatcher's claims have run out by then.
 */
export const DISPATCH_GRACE_MS = 60_000;
