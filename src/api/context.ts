import type { EntityManager } from '@mikro-orm/postgresql';

/** Who is calling: a key bound to one center, or the platform operator (PLATFORM_API_KEY). */
export type Caller =
  | { kind: 'center'; keyId: string; centerId: string; scope: 'booking' | 'admin' }
  | { kind: 'platform'; keyId: string };

export type Scope = 'booking' | 'admin' | 'platform';

/** Hono variables every /v1 handler can read. */
export interface ApiEnv {
  Variables: {
    /** Forked for this request; inside a transaction for writes (see unit-of-work.ts). */
    em: EntityManager;
    caller: Caller;
    /** X5: what a replay of this POST answers instead of its body, when the body shows a secret (idempotency.ts). */
    replayAnswer?: unknown;
  };
}
