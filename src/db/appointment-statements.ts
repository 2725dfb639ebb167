import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import type { FoundRef } from '../api/refs.js';
import type { EngineCommand } from '../engine/commands.js';
import { Appointment } from './entities/index.js';
import { OUTBOX_CHANNEL, outboxValues } from './outbox.js';

/**
 * A single appointment PUT in two autocommit statements (B1, X5, #8): one reads the stored row
 * and resolves the references, the route decides with the rules of appointment-writes.ts, and
 * one writes the row together with its outbox command, only if the row is still as it was read
 * (compare-and-set on revision and status, the two fields the decision rests on). A write that
 * lost a race with another write of the same appointment changes nothing and is read again.
 * Before, the PUT was BEGIN, SELECT … FOR UPDATE, the lookup, INSERT, the outbox INSERT and
 * COMMIT: six round trips through the ORM, which kept single PUTs below the ingestion bar.
 * Commit-then-engine holds as before: the outbox row commits with the appointment row, and
 * NOTIFY wakes the relays at that commit.
 */

/** What the decision rested on: the write applies only if the row still has these. */
export interface ReadVersion {
  revision: number;
  status: Appointment['status'];
}

interface Column {
  prop: keyof Appointment & string;
  column: string;
  /** Raw statements get timestamps as text (the ORM's pg type parsers); the entity holds Dates. */
  isDate: boolean;
}

const columnsByMetadata = new WeakMap<object, Column[]>();

/** Property ↔ column of every stored field of Appointment, from the ORM's metadata (once). */
function columnsOf(em: EntityManager): Column[] {
  const metadata = em.getMetadata();
  let columns = columnsByMetadata.get(metadata);
  if (!columns) {
    columns = metadata
      .get(Appointment.name)
      .props.filter((p) => p.persist !== false && p.fieldNames?.length === 1)
      .map((p) => ({ prop: p.name as keyof Appointment & string, column: p.fieldNames[0]!, isDate: p.runtimeType === 'Date' }));
    columnsByMetadata.set(metadata, columns);
  }
  return columns;
}

/** The fields a PUT may change (appointment-writes.ts applyWrite); the others are other writers'. */
const PUT_FIELDS = new Set<string>(['patientId', 'resourceId', 'serviceId', 'locationId', 'startAt', 'endAt', 'notes', 'groupName', 'priceList', 'bookedOnline', 'bookedAt', 'revision', 'status', 'confirmedAt', 'updatedAt']);

interface Connection {
  executeQuery<T>(query: string, cb: () => Promise<T>, context?: { query: string; params: unknown[] }): Promise<T>;
}

/**
 * Runs `sql` as a named prepared statement (one per distinct text and connection): PostgreSQL
 * parses and plans it once per connection instead of once per booking, and the values travel as
 * bind parameters. `em.execute` inlines every value into the text instead, so each booking's
 * statement was new to PostgreSQL. Through the ORM connection's `executeQuery`, so its logging
 * and the tests' statement counts still see it (the method is protected in MikroORM's types).
 */
async function prepared<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const name = `appt_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
  const connection = em.getConnection() as unknown as Connection;
  const result = await connection.executeQuery(sql, async () => (await em.getKnex().raw(sql, params as Knex.RawBinding[]).options({ name })) as { rows: T[] }, { query: sql, params });
  return result.rows;
}

/** The stored appointment (null if none) and the rows of the reference lookup, in one statement. */
export async function readWithRefs(
  em: EntityManager,
  centerId: string,
  externalId: string,
  lookup: { sql: string | null; params: string[] },
): Promise<{ existing: Appointment | null; found: FoundRef[] }> {
  const found = lookup.sql ? `(select coalesce(jsonb_agg(f), '[]'::jsonb) from (${lookup.sql}) f)` : `'[]'::jsonb`;
  const [row] = await prepared<Record<string, unknown>>(
    em,
    `select a.*, ${found} as found_refs from (select 1) as one left join appointments a on a.center_id = ? and a.external_id = ?`,
    [...lookup.params, centerId, externalId],
  );
  if (!row) throw new Error('unreachable: the statement returns one row');
  const existing = row.id === null ? null : Object.assign(new Appointment(), Object.fromEntries(columnsOf(em).map(({ prop, column, isDate }) => [prop, isDate && row[column] !== null ? new Date(row[column] as string) : row[column]])));
  return { existing, found: row.found_refs as FoundRef[] };
}

/**
 * Writes `row` and its engine command in one statement: an insert when `read` is null (none
 * stored), else an update of the row as it was read. False when the row was not as expected
 * (created or changed meanwhile): nothing was written.
 */
export async function writeIfUnchanged(em: EntityManager, row: Appointment, read: ReadVersion | null, command: EngineCommand): Promise<boolean> {
  const columns = columnsOf(em);
  const value = (prop: keyof Appointment) => row[prop] as unknown;
  let write: string;
  let params: unknown[];
  if (read === null) {
    write = `insert into appointments (${columns.map(({ column }) => `"${column}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})
             on conflict (center_id, external_id) do nothing returning id`;
    params = columns.map(({ prop }) => value(prop));
  } else {
    const set = columns.filter(({ prop }) => PUT_FIELDS.has(prop));
    write = `update appointments set ${set.map(({ column }) => `"${column}" = ?`).join(', ')} where id = ? and revision = ? and status = ? returning id`;
    params = [...set.map(({ prop }) => value(prop)), row.id, read.revision, read.status];
  }
  // Column names come from metadata only; every value is bound.
  const rows = await prepared<{ notified: string }>(
    em,
    `with written as (${write}),
          queued as (insert into engine_outbox (stream, command) select ?, ?::jsonb from written returning id)
     select pg_notify('${OUTBOX_CHANNEL}', '1') as notified from queued`,
    [...params, ...outboxValues(command)],
  );
  return rows.length === 1;
}
