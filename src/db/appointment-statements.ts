import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import type { FoundRef } from '../api/refs.js';
import type { EngineCommand } from '../engine/commands.js';
import { batchedCalls } from './batched-calls.js';
import { Appointment, Location, Patient, Resource, Service } from './entities/index.js';
import { OUTBOX_CHANNEL, outboxEntry } from './outbox.js';

/**
 * A single appointment PUT in two autocommit statements (B1, X5, #8): one reads the stored row
 * and resolves the references, the route decides with the rules of appointment-writes.ts, and
 * one writes the row together with its outbox command, only if the row is still as it was read
 * (compare-and-set on revision and status, the two fields the decision rests on). A write that
 * lost a race with another write of the same appointment changes nothing and is read again.
 * Commit-then-engine holds: the outbox row commits with the appointment row, and NOTIFY wakes
 * the relays at that commit.
 *
 * Concurrent PUTs share their statements (batched-calls.ts): the reads waiting while others run
 * go as one statement, and so do the writes, each row still compared and set on its own. A
 * booking system pushing its diary with 30 requests in flight then costs PostgreSQL a few
 * statements and WAL flushes instead of 60, which is what kept single PUTs below the ingestion
 * bar (bench/README.md, "Ingestion").
 */

/** What the decision rested on: the write applies only if the row still has these. */
export interface ReadVersion {
  revision: number;
  status: Appointment['status'];
}

/** The appointment a PUT names and the booking system's ids of the rows it points at, by entity. */
export interface ReadRequest {
  centerId: string;
  externalId: string;
  refs: { entity: RefEntity; externalId: string | null | undefined }[];
}

export interface ReadResult {
  /** The stored appointment, null if none. */
  existing: Appointment | null;
  /** The references found (refs.ts resolves them, 422 for unknown ones). */
  found: FoundRef[];
}

export interface WriteRequest {
  row: Appointment;
  /** null: a new appointment (none was stored when read). */
  read: ReadVersion | null;
  command: EngineCommand;
}

export interface AppointmentStatements {
  read(em: EntityManager, request: ReadRequest): Promise<ReadResult>;
  /** False when the row was not as read (created or changed meanwhile): nothing was written. */
  write(em: EntityManager, request: WriteRequest): Promise<boolean>;
}

const REF_ENTITIES = [Patient, Resource, Service, Location] as const;
type RefEntity = (typeof REF_ENTITIES)[number];

/**
 * The statements of one API process. `maxInFlight` statements of each kind run at once (of the
 * ORM pool's connections); up to `maxBatch` PUTs share one.
 */
export function appointmentStatements(options: { maxInFlight?: number; maxBatch?: number } = {}): AppointmentStatements {
  const limits = { maxInFlight: options.maxInFlight ?? 2, maxBatch: options.maxBatch ?? 64 };
  const reads = batchedCalls<{ em: EntityManager; request: ReadRequest }, ReadResult>({ ...limits, runMany: (calls) => readMany(calls[0]!.em, calls.map((c) => c.request)) });
  const writes = batchedCalls<{ em: EntityManager; request: QueuedWrite }, boolean>({ ...limits, runMany: (calls) => writeMany(calls[0]!.em, calls.map((c) => c.request)) });
  return {
    read: (em, request) => reads({ em, request }),
    // The outbox entry is made here, in the request's own context: it carries the request's trace.
    write: (em, { row, read, command }) => writes({ em, request: { row, read, entry: outboxEntry(command) } }),
  };
}

interface Column {
  prop: keyof Appointment & string;
  column: string;
  /** Raw statements get timestamps as text (the ORM's pg type parsers); the entity holds Dates. */
  isDate: boolean;
}

/** A statement's text and the name it is prepared under (named after its text). */
interface Statement {
  text: string;
  name: string;
}

/** Both statements, the columns they map and the reference tables' names, from the ORM's metadata (once per ORM). */
interface Shapes {
  columns: Column[];
  refTables: Map<string, string>;
  read: Statement;
  write: Statement;
}

const shapesByMetadata = new WeakMap<object, Shapes>();

/** The fields a PUT may change (appointment-writes.ts applyWrite); the others are other writers'. */
const PUT_FIELDS = new Set<string>(['patientId', 'resourceId', 'serviceId', 'locationId', 'startAt', 'endAt', 'notes', 'groupName', 'priceList', 'bookedOnline', 'bookedAt', 'revision', 'status', 'confirmedAt', 'updatedAt']);

function shapesOf(em: EntityManager): Shapes {
  const metadata = em.getMetadata();
  let shapes = shapesByMetadata.get(metadata);
  if (shapes) return shapes;
  const columns = metadata
    .get(Appointment.name)
    .props.filter((p) => p.persist !== false && p.fieldNames?.length === 1)
    .map((p) => ({ prop: p.name as keyof Appointment & string, column: p.fieldNames[0]!, isDate: p.runtimeType === 'Date' }));
  // Table and column names come from metadata only; every value travels in one bound JSON list.
  const refTables = new Map(REF_ENTITIES.map((entity) => [entity.name, metadata.get(entity.name).tableName]));
  const lookups = [...refTables.values()].map(
    (table) => `select '${table}'::text as t, d.external_id, d.id from "${table}" d where d.center_id = r.center_id and d.external_id = r.refs->>'${table}'`,
  );
  const read = `select r.ord, a.*, (select coalesce(jsonb_agg(f), '[]'::jsonb) from (${lookups.join(' union all ')}) f) as found_refs
     from jsonb_to_recordset(?::jsonb) as r(ord int, center_id uuid, external_id text, refs jsonb)
     left join appointments a on a.center_id = r.center_id and a.external_id = r.external_id
     order by r.ord`;
  const field = (column: string) => `(i.r)."${column}"`;
  const updated = columns.filter(({ prop }) => PUT_FIELDS.has(prop));
  const write = `with input as (
       select x.ord, jsonb_populate_record(null::appointments, x.row) as r, x.read_revision, x.read_status, x.stream, x.command
         from jsonb_to_recordset(?::jsonb) as x(ord int, row jsonb, read_revision int, read_status text, stream text, command jsonb)),
     inserted as (
       insert into appointments (${columns.map(({ column }) => `"${column}"`).join(', ')})
       select ${columns.map(({ column }) => field(column)).join(', ')} from input i where i.read_revision is null order by i.ord
       on conflict (center_id, external_id) do nothing returning id),
     updated as (
       update appointments a set ${updated.map(({ column }) => `"${column}" = ${field(column)}`).join(', ')}
         from input i
        where i.read_revision is not null and a.id = (i.r).id and a.revision = i.read_revision and a.status = i.read_status
       returning i.ord),
     written as (select i.ord from input i join inserted n on n.id = (i.r).id union all select ord from updated),
     queued as (insert into engine_outbox (stream, command) select i.stream, i.command from input i join written w on w.ord = i.ord order by i.ord returning id)
     select w.ord from written w cross join (select pg_notify('${OUTBOX_CHANNEL}', count(*)::text) from queued) n`;
  shapes = { columns, refTables, read: statement(read), write: statement(write) };
  shapesByMetadata.set(metadata, shapes);
  return shapes;
}

interface Connection {
  executeQuery<T>(query: string, cb: () => Promise<T>, context?: { query: string; params: unknown[] }): Promise<T>;
}

function statement(text: string): Statement {
  return { text, name: `appt_${createHash('sha1').update(text).digest('hex').slice(0, 16)}` };
}

/**
 * Runs a statement as a named prepared statement: PostgreSQL parses and plans it once per
 * connection instead of once per call, and the values travel as bind parameters. Through the
 * ORM connection's `executeQuery`, so its logging and the tests' statement counts still see it
 * (the method is protected in MikroORM's types).
 */
async function prepared<T>(em: EntityManager, { text, name }: Statement, params: unknown[]): Promise<T[]> {
  const connection = em.getConnection() as unknown as Connection;
  const result = await connection.executeQuery(text, async () => (await em.getKnex().raw(text, params as Knex.RawBinding[]).options({ name })) as { rows: T[] }, { query: text, params });
  return result.rows;
}

/** Each request's stored appointment and found references, in one statement. */
async function readMany(em: EntityManager, requests: ReadRequest[]): Promise<ReadResult[]> {
  const { columns, refTables, read } = shapesOf(em);
  const input = requests.map(({ centerId, externalId, refs }, ord) => ({
    ord,
    center_id: centerId,
    external_id: externalId,
    refs: Object.fromEntries(refs.filter((ref) => ref.externalId != null).map((ref) => [refTables.get(ref.entity.name), ref.externalId])),
  }));
  const rows = await prepared<Record<string, unknown>>(em, read, [JSON.stringify(input)]);
  return rows.map((row) => ({
    existing: row.id === null ? null : Object.assign(new Appointment(), Object.fromEntries(columns.map(({ prop, column, isDate }) => [prop, isDate && row[column] !== null ? new Date(row[column] as string) : row[column]]))),
    found: row.found_refs as FoundRef[],
  }));
}

type QueuedWrite = Omit<WriteRequest, 'command'> & { entry: ReturnType<typeof outboxEntry> };

/** Writes each row with its engine command if still as read; whether each one was written. */
async function writeMany(em: EntityManager, requests: QueuedWrite[]): Promise<boolean[]> {
  const { columns, write } = shapesOf(em);
  const input = requests.map(({ row, read, entry }, ord) => ({
    ord,
    row: Object.fromEntries(columns.map(({ prop, column }) => [column, row[prop]])),
    read_revision: read?.revision ?? null,
    read_status: read?.status ?? null,
    ...entry,
  }));
  const written = new Set((await prepared<{ ord: number }>(em, write, [JSON.stringify(input)])).map((r) => r.ord));
  return requests.map((_, ord) => written.has(ord));
}
