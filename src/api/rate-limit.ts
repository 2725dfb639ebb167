import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './context.js';
import { ApiError } from './problem.js';

export interface RateLimitOptions {
  /** Burst size: requests a key may make at once. */
  capacity: number;
  /** Sustained rate: tokens added per second. */
  refillPerSecond: number;
}

export const defaultRateLimit: RateLimitOptions = { capacity: 200, refillPerSecond: 50 };

/** A token bucket per key, in memory: each API process limits on its own. */
export function createTokenBuckets(options: RateLimitOptions, nowMs: () => number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Takes a token; when none is left, says how many seconds until one is. */
    take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
      const now = nowMs();
      const bucket = buckets.get(key) ?? { tokens: options.capacity, at: now };
      bucket.tokens = Math.min(options.capacity, bucket.tokens + ((now - bucket.at) / 1000) * options.refillPerSecond);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / options.refillPerSecond)) };
    },
  };
}

export function rateLimit(buckets: ReturnType<typeof createTokenBuckets>): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const result = buckets.take(c.get('caller').keyId);
    if (!result.ok) {
      throw new ApiError(429, `Too many requests for this API key; retry in ${result.retryAfterSeconds} s.`, undefined, {
        'retry-after': String(result.retryAfterSeconds),
      });
    }
    await next();
  };
}
