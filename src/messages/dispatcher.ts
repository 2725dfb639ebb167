import { randomUUID } from 'node:crypto';
import type { ActivityDeps } from '../activities/deps.js';
import * as store from '../db/message-store.js';
import type { ClaimToken } from '../db/message-store.js';
import { sendClaimed, sendMessage } from './send.js';
import { DISPATCH_GRACE_MS, SEND_LEASE_MS, SEND_RENEW_EVERY_MS } from './timing.js';

/**
 * #13: the emails prepared ahead go out at their due time from here, not from one workflow task
 * each. A loop in every worker process claims the due ones in batches (store.claimDueEmails: the
 * fast path's checks, plus "paid" and "appointment not cancelled or changed since"; SKIP LOCKED,
 * so several workers share a burst) and sends them over the channel's one pooled transport
 * (sendClaimed: the workflow's own fast path from the claim on: same transitions, same observer).
 *
 * What it does not do, its appointment's workflow does DISPATCH_GRACE_MS after the due time (its
 * send activity): a row still `scheduled` (no dispatcher ran, or the row was blocked or changed)
 * is sent or skipped by the full path; a dispatcher's claim whose worker died (lease run out) is
 * taken over and resolved like any unknown outcome (an email resent once, marked). Rows whose
 * provider call failed here are left to it too, with its retries. A live dispatcher does not wait
 * for that when another one dies: once their lease has run out, it takes the dead one's claims
 * over through the full send path (sendMessage: the same takeover, lookup and marked resend).
 */
export interface EmailDispatcher {
  /** Stops claiming, waits for the sends in flight. */
  stop(): Promise<void>;
}

export interface DispatcherOptions {
  /** Sends in flight at once (the transport's pool queues what its connections cannot take yet). */
  concurrency: number;
  /** The longest sleep between looks when nothing is due sooner. */
  pollMs?: number;
  /** Names the claims (`dispatch:<identity>:<uuid>`), e.g. the worker's host and pid. */
  identity?: string;
}

const DEFAULT_POLL_MS = 1_000;
/** After a provider error, claim nothing for this long (an SMTP outage is not hammered). */
const ERROR_PAUSE_MS = 1_000;

export function startEmailDispatcher(deps: ActivityDeps, options: DispatcherOptions): EmailDispatcher {
  const concurrency = Math.max(1, options.concurrency);
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  // One token for the life of this loop: its claims are fenced against everyone else's.
  const token: ClaimToken = { holder: `dispatch:${options.identity ?? process.pid}:${randomUUID()}`, attempt: 1 };
  const inFlight = new Map<string, Promise<void>>();
  /** Rows this loop gave back after a provider error (id → until when): the workflow retries them. */
  const givenBack = new Map<string, number>();
  let stopped = false;
  let pauseUntil = 0;
  let wake: (() => void) | null = null;
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  // The leases of all sends in flight, renewed together (one statement).
  const renewer = setInterval(() => {
    if (inFlight.size) void store.renewAll(deps.orm.em.fork(), [...inFlight.keys()], token, SEND_LEASE_MS).catch(() => undefined);
  }, SEND_RENEW_EVERY_MS);

  function launch(id: string, work: () => Promise<unknown>): void {
    const send = work()
      .then(() => undefined)
      .catch((err: unknown) => {
        // The row is `scheduled` again (not sent) or `unknown`: its workflow takes it from here.
        givenBack.set(id, Date.now() + DISPATCH_GRACE_MS);
        pauseUntil = Date.now() + ERROR_PAUSE_MS;
        deps.logger.warn({ messageId: id, error: err instanceof Error ? err.message.slice(0, 200) : 'error' }, 'dispatcher: send failed; left to the workflow');
      })
      .finally(() => {
        inFlight.delete(id);
        wake?.();
      });
    inFlight.set(id, send);
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      try {
        const free = concurrency - inFlight.size;
        // Claim in batches: wait for a quarter of the slots rather than claim one row per freed slot.
        if (free < Math.max(1, Math.floor(concurrency / 4))) {
          await Promise.race(inFlight.values());
          continue;
        }
        if (Date.now() < pauseUntil) {
          await nap(pauseUntil - Date.now());
          continue;
        }
        const now = Date.now();
        for (const [id, until] of givenBack) if (until < now) givenBack.delete(id);
        const claimed = await store.claimDueEmails(deps.orm.em.fork(), token, { limit: free, leaseMs: SEND_LEASE_MS, graceMs: DISPATCH_GRACE_MS, except: [...givenBack.keys()] });
        for (const c of claimed) launch(c.message.id, () => sendClaimed(deps, deps.orm.em.fork(), c, token));
        failures = 0;
        if (claimed.length === free) continue; // more may be due: claim again as slots free up
        // Nothing more due now: the claims of a dispatcher that died, if any.
        const orphans = await store.orphanedDispatchClaims(deps.orm.em.fork(), { limit: free - claimed.length, graceMs: DISPATCH_GRACE_MS });
        const adopted = orphans.filter((id) => !inFlight.has(id) && !givenBack.has(id));
        for (const id of adopted) launch(id, () => sendMessage(deps, id, { token, channel: 'email' }));
        if (adopted.length) continue;
        const nextInMs = await store.msUntilNextEmailDue(deps.orm.em.fork());
        await nap(Math.min(pollMs, nextInMs ?? pollMs));
      } catch (err) {
        // The database may be restarting: look again shortly, then less often.
        failures += 1;
        if (failures === 1) deps.logger.warn({ error: err instanceof Error ? err.message.slice(0, 200) : 'error' }, 'dispatcher: claim failed; retrying');
        await nap(Math.min(pollMs * 2 ** Math.min(failures, 5), 30_000));
      }
    }
  }

  const running = loop();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
      await Promise.all(inFlight.values());
      clearInterval(renewer);
    },
  };
}
