import type { EntityManager } from '@mikro-orm/postgresql';
import { streamOf, type EngineCommand } from '../engine/commands.js';
import { currentTraceCarrier, type TraceCarrier } from '../telemetry/trace-context.js';

/** The LISTEN/NOTIFY channel that wakes the relays when commands commit. */
export const OUTBOX_CHANNEL = 'engine_outbox';

/**
 * Writes engine commands in the caller's transaction. NOTIFY is transactional too: listeners
 * hear it at the commit, and never for a rolled-back change.
 */
export async function enqueueCommands(em: EntityManager, commands: EngineCommand[]): Promise<void> {
  if (commands.length === 0) return;
  if (!em.isInTransaction()) throw new Error('enqueueCommands needs the transaction of the change it announces');
  await em.execute(
    `with queued as (insert into engine_outbox (stream, command) values ${commands.map(() => '(?, ?::jsonb)').join(', ')} returning id)
     select pg_notify('${OUTBOX_CHANNEL}', count(*)::text) from queued`,
    commands.flatMap(outboxValues),
  );
}

/** One command's outbox columns (stream, command as JSON), for a statement that inserts it itself. */
export function outboxValues(command: EngineCommand): [string, string] {
  const entry = outboxEntry(command);
  return [entry.stream, JSON.stringify(entry.command)];
}

/** The same as one object, for a statement that takes many as one JSON list. */
export function outboxEntry(command: EngineCommand): { stream: string; command: EngineCommand & { trace?: TraceCarrier } } {
  // With tracing on, a command keeps its request's trace context for the relay (trace-context.ts).
  return { stream: streamOf(command), command: withTrace(command) };
}

function withTrace(command: EngineCommand): EngineCommand & { trace?: TraceCarrier } {
  const trace = currentTraceCarrier();
  return Object.keys(trace).length ? { ...command, trace } : command;
}

/**
 * X3: a change that re-plans scheduled messages raises the center's settings version and tells
 * every open appointment, in the same transaction. Returns the new version.
 */
export async function announcePolicyChange(em: EntityManager, centerId: string): Promise<number> {
  const [row] = await em.execute<{ settings_version: number }[]>(
    `update centers set settings_version = settings_version + 1 where id = ? returning settings_version`,
    [centerId],
  );
  if (!row) throw new Error(`Center ${centerId} not found`);
  await enqueueCommands(em, [{ type: 'policyChanged', centerId, settingsVersion: row.settings_version }]);
  return row.settings_version;
}

export interface ClaimedCommand {
  id: string;
  command: EngineCommand & { trace?: TraceCarrier };
  attempts: number;
}

/**
 * Locks up to `limit` due commands, the oldest of each stream only (a stream's next command
 * waits until the one before it is delivered). SKIP LOCKED lets several relays share the table;
 * a relay that dies releases its rows with its transaction.
 */
export async function claimCommands(tx: EntityManager, limit: number): Promise<ClaimedCommand[]> {
  const rows = await tx.execute<{ id: string; command: ClaimedCommand['command']; attempts: number }[]>(
    `select o.id::text as id, o.command, o.attempts from engine_outbox o
      where o.available_at <= now()
        and not exists (select 1 from engine_outbox p where p.stream = o.stream and p.id < o.id)
      order by o.id limit ? for update skip locked`,
    [limit],
  );
  return rows.map((r) => ({ id: r.id, command: r.command, attempts: r.attempts }));
}

/** Delivered commands leave; failed ones wait 0.5 s × 2^attempts, at most a minute. */
export async function settleCommands(tx: EntityManager, delivered: string[], failed: { id: string; error: string }[]): Promise<void> {
  // Lists travel as one JSON parameter (the query builder would splice an array into a list).
  if (delivered.length) {
    await tx.execute(`delete from engine_outbox where id in (select jsonb_array_elements_text(?::jsonb)::bigint)`, [JSON.stringify(delivered)]);
  }
  if (failed.length) {
    await tx.execute(
      `update engine_outbox o
          set attempts = o.attempts + 1,
              available_at = now() + make_interval(secs => least(60, 0.5 * power(2, o.attempts))),
              last_error = f.error
         from jsonb_to_recordset(?::jsonb) as f(id bigint, error text)
        where o.id = f.id`,
      [JSON.stringify(failed)],
    );
  }
}

/** What waits to be delivered: a gauge for operators and the health check. */
export async function outboxBacklog(em: EntityManager): Promise<{ pending: number; oldestAt: Date | null; failing: number }> {
  const [row] = await em.execute<{ pending: number; oldest_at: Date | string | null; failing: number }[]>(
    `select count(*)::int as pending, min(created_at) as oldest_at, count(*) filter (where attempts > 0)::int as failing from engine_outbox`,
  );
  const oldest = row?.oldest_at;
  return { pending: row?.pending ?? 0, oldestAt: oldest ? new Date(oldest) : null, failing: row?.failing ?? 0 };
}
