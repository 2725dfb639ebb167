import { DriverException } from '@mikro-orm/core';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';

/**
 * Errors thrown by an activity, classified once where they leave it (every activity goes through
 * `classifyFailures`):
 * - already classified (ApplicationFailure, cancellation): as they are;
 * - permanent, so retrying cannot help: a RangeError (a bad date, zone or number in the input:
 *   the domain throws these) or a PostgreSQL data exception (SQLSTATE class 22) →
 *   non-retryable, so a workflow fails at once instead of retrying without end;
 * - any other database error: retryable, with its SQLSTATE only (the driver's text quotes the
 *   statement's values, patient data, and would land in Temporal history and the logs);
 * - anything else: as it is (retryable).
 */
export function classifyFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure || error instanceof CancelledFailure) return error;
  if (error instanceof DriverException) {
    const code = typeof error.code === 'string' ? error.code : 'unknown';
    const message = `database error (SQLSTATE ${code})`;
    return code.startsWith('22') ? ApplicationFailure.nonRetryable(message, error.name) : ApplicationFailure.retryable(message, error.name);
  }
  if (error instanceof RangeError) return ApplicationFailure.nonRetryable(error.message, error.name);
  return error;
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

/** Wraps every activity of `activities` so its failures leave classified. */
export function classifyFailures<T extends { [K in keyof T]: AnyActivity }>(activities: T): T {
  const wrapped = {} as T;
  for (const name of Object.keys(activities) as (keyof T)[]) {
    const activity = activities[name];
    wrapped[name] = (async (...args: Parameters<typeof activity>) => {
      try {
        return await activity(...args);
      } catch (error) {
        throw classifyFailure(error);
      }
    }) as T[keyof T];
  }
  return wrapped;
}

/** An error as a log field: its class and message, never its enumerable properties (driver errors carry the statement's values). */
export function errorForLog(error: unknown): { type: string; message: string } {
  if (error instanceof ApplicationFailure) return { type: error.type ?? error.name, message: error.message };
  if (error instanceof DriverException) return { type: error.name, message: `database error (SQLSTATE ${String(error.code ?? 'unknown')})` };
  if (error instanceof Error) return { type: error.name, message: error.message };
  return { type: typeof error, message: String(error) };
}
