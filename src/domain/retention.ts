/**
 * X7 retention: how long what is kept. Message texts and addresses are redacted after the
 * center's own number of days, within the platform's limits; the other rows below have one
 * platform-wide time to live. The message row itself (event, channel, status, reason, credits,
 * times) stays: the message summary (E1) and billing (F1) need it.
 */
export const MESSAGE_RETENTION = { defaultDays: 90, minDays: 7, maxDays: 3650 } as const;

/** Rows purged (deleted) this many days after the time named beside each. */
export const PURGE_AFTER_DAYS = {
  /** message_events (status history: sent, delivered, failed + provider detail), after they happened. */
  messageEvents: 365,
  /** callback_deliveries (X4 payloads to the booking system), after they were delivered. */
  callbackDeliveries: 30,
  /** idempotency_records (X5 stored answers), after the first request; a repeat after that runs again. */
  idempotencyRecords: 30,
} as const;

/** The steps of one retention run, in order. */
export const RETENTION_STEPS = ['redactMessages', 'messageEvents', 'callbackDeliveries', 'idempotencyRecords'] as const;
export type RetentionStep = (typeof RETENTION_STEPS)[number];

/** The center's setting, or the platform default. */
export function messageRetentionDays(centerDays: number | null): number {
  return centerDays ?? MESSAGE_RETENTION.defaultDays;
}
