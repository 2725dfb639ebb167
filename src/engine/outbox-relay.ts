import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { errorForLog } from '../activities/failures.js';
import { claimCommands, OUTBOX_CHANNEL, settleCommands, type ClaimedCommand } from '../db/outbox.js';
import { deliverCommand } from './commands.js';
import { inTraceOf } from '../telemetry/trace-context.js';
import type { Engine } from './port.js';

export interface OutboxRelayOptions {
  orm: MikroORM;
  /** Where commands go: the Temporal engine in production, a recording one in API tests. */
  engine: Engine;
  logger?: Logger;
  /** Commands claimed per transaction (delivered concurrently). */
  batchSize?: number;
  /**
   * Transactions (claim, deliver, settle) in flight at once: while one batch waits for Temporal,
   * another claims what committed meanwhile. At most lanes × batchSize deliveries in flight, and
   * lanes connections of the pool held.
   */
  lanes?: number;
  /** Fallback poll: lost notifications and back-offs that have run out. */
  pollMs?: number;
  /** A delivery that has not answered by then counts as failed and is retried (deliveries are idempotent). */
  deliveryTimeoutMs?: number;
  /** Only for LISTEN; false in tests that pump by hand. */
  listen?: boolean;
}

export interface OutboxRelay {
  start(): Promise<void>;
  /** Delivers everything due now and resolves when none is left (tests, shutdown). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Commit first, then the engine: delivers the commands that committed transactions wrote to the
 * outbox. Woken at once by NOTIFY (milliseconds), polled as a fallback; several relays (every API
 * process and every worker) share the table safely, and a dead one's rows go to the others.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { orm, engine, logger } = options;
  const batchSize = options.batchSize ?? 32;
  const lanes = Math.max(1, options.lanes ?? 4);
  const pollMs = options.pollMs ?? 1_000;
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? 10_000;
  let listener: pg.Client | null = null;
  let poller: NodeJS.Timeout | null = null;
  let stopped = false;
  /** The passes running now, one per lane. */
  const running = new Set<Promise<void>>();
  /** A commit was announced since a lane last found the outbox empty. */
  let again = false;

  async function deliverOne(claimed: ClaimedCommand): Promise<{ id: string; error: string | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${deliveryTimeoutMs} ms`)), deliveryTimeoutMs);
    });
    try {
      await Promise.race([inTraceOf(claimed.command.trace, () => deliverCommand(engine, claimed.command)), timeout]);
      return { id: claimed.id, error: null };
    } catch (err) {
      const error = errorForLog(err);
      logger?.warn({ outboxId: claimed.id, type: claimed.command.type, attempts: claimed.attempts + 1, error }, 'engine command not delivered; retrying');
      return { id: claimed.id, error: `${error.type}: ${error.message}`.slice(0, 500) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** One transaction: claim, deliver, settle. Returns how many commands it claimed. */
  async function pass(): Promise<number> {
    return orm.em.fork().transactional(async (tx) => {
      const claimed = await claimCommands(tx, batchSize);
      if (claimed.length === 0) return 0;
      const results = await Promise.all(claimed.map(deliverOne));
      await settleCommands(
        tx,
        results.filter((r) => r.error === null).map((r) => r.id),
        results.flatMap((r) => (r.error === null ? [] : [{ id: r.id, error: r.error }])),
      );
      return claimed.length;
    });
  }

  /**
   * One lane: passes until the outbox has nothing due. A lane is added per wake-up (up to
   * `lanes`), and a full batch adds one too, so a burst is claimed while earlier batches are still
   * being delivered. Per-stream order holds across lanes: a stream's next command is claimable only
   * once the row before it is deleted and committed (claimCommands), and SKIP LOCKED keeps two lanes
   * from claiming the same row.
   */
  function lane(): void {
    const run = (async () => {
      try {
        for (;;) {
          again = false;
          const claimed = await pass();
          if (stopped) return;
          if (claimed >= batchSize) addLane();
          if (claimed === 0 && !again) return;
        }
      } catch (err) {
        logger?.error({ error: errorForLog(err) }, 'outbox relay pass failed; the poll retries');
      }
    })();
    running.add(run);
    void run.finally(() => running.delete(run));
  }

  function addLane(): void {
    if (!stopped && running.size < lanes) lane();
  }

  /** Wakes the relay; resolves when every lane has found nothing more due (tests, shutdown). */
  async function pump(): Promise<void> {
    again = true;
    addLane();
    while (running.size > 0) await Promise.all([...running]);
  }

  async function listen(): Promise<void> {
    const client = new pg.Client({ connectionString: orm.config.get('clientUrl') });
    client.on('notification', () => void pump());
    client.on('error', (err) => {
      logger?.warn({ error: err.message }, 'outbox listener lost; reconnecting');
      listener = null;
      void client.end().catch(() => undefined);
      if (!stopped) setTimeout(() => void listen().catch(() => undefined), 1_000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    listener = client;
  }

  return {
    async start() {
      stopped = false;
      if (options.listen !== false) await listen();
      poller = setInterval(() => void pump(), pollMs);
      poller.unref();
      await pump(); // what a previous process left
    },
    drain: pump,
    async stop() {
      stopped = true;
      if (poller) clearInterval(poller);
      poller = null;
      while (running.size > 0) await Promise.all([...running]);
      const client = listener;
      listener = null;
      await client?.end().catch(() => undefined);
    },
  };
}
