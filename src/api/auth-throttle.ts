import type { Context } from 'hono';

export interface AuthThrottleOptions {
  /** Failed authentications one client address may make per window… */
  maxFailures: number;
  /** …of this many milliseconds; then it waits for the window to end. */
  windowMs: number;
  /** Addresses remembered at most (the oldest window is dropped first). */
  maxAddresses: number;
}

export const defaultAuthThrottle: AuthThrottleOptions = { maxFailures: 20, windowMs: 60_000, maxAddresses: 10_000 };

/**
 * Failed authentications per client address, in memory (per API process): once an address has
 * failed `maxFailures` times in a window, its requests are refused with 429 before any key
 * lookup, so guessing keys cannot make the database scan api_keys. A key this process already
 * knows (the API-key cache) still works from a throttled address: the limit costs a busy client
 * behind the same address nothing.
 */
export function createAuthThrottle(options: AuthThrottleOptions, nowMs: () => number) {
  const windows = new Map<string, { startedAt: number; failures: number }>();
  const current = (address: string) => {
    const window = windows.get(address);
    if (window && nowMs() - window.startedAt < options.windowMs) return window;
    if (window) windows.delete(address);
    return null;
  };
  return {
    /** Seconds until `address` may try again, or null when it may try now. */
    retryAfterSeconds(address: string): number | null {
      const window = current(address);
      if (!window || window.failures < options.maxFailures) return null;
      return Math.max(1, Math.ceil((window.startedAt + options.windowMs - nowMs()) / 1000));
    },
    failed(address: string): void {
      const window = current(address);
      if (window) {
        window.failures += 1;
        return;
      }
      if (windows.size >= options.maxAddresses) {
        const oldest = windows.keys().next();
        if (!oldest.done) windows.delete(oldest.value);
      }
      windows.set(address, { startedAt: nowMs(), failures: 1 });
    },
  };
}

export type AuthThrottle = ReturnType<typeof createAuthThrottle>;

/** The peer address of the connection (never a forwarded header, which any client can set). */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}
