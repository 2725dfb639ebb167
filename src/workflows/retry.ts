/**
 * Error types that no retry can fix: the activities throw them for bad input (a date out of
 * range, an unknown zone), and activities/failures.ts already marks them non-retryable; every
 * retry policy of the workflows names them too, so even an unclassified one is not retried.
 */
export const PERMANENT_ERROR_TYPES = ['RangeError'];
