import type { EntityClass, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Appointment, Location, Patient, Resource, Service } from '../db/entities/index.js';
import { ApiError, type FieldError } from './problem.js';

/**
 * Translation between the booking system's ids (in paths and bodies) and our uuids (in rows
 * and engine calls), always within one center.
 */
type Directory = typeof Patient | typeof Resource | typeof Service | typeof Location | typeof Appointment;

type Wanted = Record<string, { entity: Directory; externalId: string | null | undefined }>;
/** Each wanted field's uuid; null only where the field may be absent and is. */
export type ResolvedRefs<W extends Wanted> = { [F in keyof W]: W[F]['externalId'] extends string ? string : string | null };

/**
 * Several referenced ids of one request resolved in one statement, scoped by center: 422 naming
 * the first field, in the order given, whose id is unknown. An absent (null / undefined) id
 * resolves to null.
 */
export async function requireRefs<W extends Wanted>(em: EntityManager, centerId: string, wanted: W): Promise<ResolvedRefs<W>> {
  const [refs] = await requireRefsOfItems(em, centerId, [{ prefix: '', wanted }]);
  return refs!;
}

/**
 * The same for many items of one request (a batch) in one statement: one indexed lookup per kind
 * of row, its ids passed as one JSON list. 422 naming, for every item with an unknown id, its
 * first such field (`prefix` + field, e.g. `items.3.patientId`); nothing is resolved then.
 */
export async function requireRefsOfItems<W extends Wanted>(em: EntityManager, centerId: string, items: { prefix: string; wanted: W }[]): Promise<ResolvedRefs<W>[]> {
  const lookup = refsLookup(em, centerId, items);
  return lookup.resolve(lookup.sql === null ? [] : await em.execute<FoundRef[]>(lookup.sql, lookup.params));
}

/** One row of a lookup: which table, the external id and our uuid. */
export interface FoundRef {
  t: string;
  external_id: string;
  id: string;
}

/**
 * The lookup of requireRefsOfItems as one statement (sql null when no id is wanted), and the
 * resolution of the rows it found: 422 as above.
 */
function refsLookup<W extends Wanted>(em: EntityManager, centerId: string, items: { prefix: string; wanted: W }[]): { sql: string | null; params: string[]; resolve: (rows: FoundRef[]) => ResolvedRefs<W>[] } {
  const byTable = new Map<string, Set<string>>();
  const tableOf = tableNames(em);
  for (const { wanted } of items) {
    for (const { entity, externalId } of Object.values(wanted)) {
      if (externalId === null || externalId === undefined) continue;
      const ids = byTable.get(tableOf(entity)) ?? new Set<string>();
      byTable.set(tableOf(entity), ids.add(externalId));
    }
  }
  const lookups = [...byTable.entries()];
  // Only table names from metadata go into the text; the center and the ids are bound. One id
  // is a plain equality, cheaper for PostgreSQL to plan than the JSON list.
  const sql = lookups.length
    ? lookups
        .map(([table, ids]) => `select '${table}'::text as t, external_id, id from "${table}" where center_id = ? and external_id ${ids.size === 1 ? '= ?' : 'in (select jsonb_array_elements_text(?::jsonb))'}`)
        .join(' union all ')
    : null;
  const params = lookups.flatMap(([, ids]) => [centerId, ids.size === 1 ? [...ids][0]! : JSON.stringify([...ids])]);
  return { sql, params, resolve: refsResolver(em, items) };
}

/**
 * The resolution alone, for rows found by another statement (a PUT's read,
 * src/db/appointment-statements.ts): each wanted id's uuid, 422 as above.
 */
export function refsResolver<W extends Wanted>(em: EntityManager, items: { prefix: string; wanted: W }[]): (rows: FoundRef[]) => ResolvedRefs<W>[] {
  const tableOf = tableNames(em);
  return (rows) => {
    const found = new Map(rows.map((row) => [`${row.t}|${row.external_id}`, row.id]));
    const errors: FieldError[] = [];
    const resolved = items.map(({ prefix, wanted }) => {
      let named = false;
      const fields = Object.entries(wanted).map(([field, { entity, externalId }]) => {
        if (externalId === null || externalId === undefined) return [field, null] as const;
        const id = found.get(`${tableOf(entity)}|${externalId}`);
        if (id === undefined && !named) {
          named = true;
          errors.push({ field: `${prefix}${field}`, message: `No ${entity.name.toLowerCase()} with id "${externalId}" in this center.` });
        }
        return [field, id ?? null] as const;
      });
      return Object.fromEntries(fields) as ResolvedRefs<W>;
    });
    if (errors.length === 1) throw ApiError.unprocessable(errors[0]!.field, errors[0]!.message);
    if (errors.length > 1) throw new ApiError(422, `${errors.length} references are unknown in this center; nothing was written.`, errors);
    return resolved;
  };
}

function tableNames(em: EntityManager): (entity: Directory) => string {
  const metadata = em.getMetadata();
  return (entity) => metadata.get(entity.name).tableName;
}

/** A referenced id that must exist: 422 naming the field otherwise. */
export async function requireRef(em: EntityManager, entity: Directory, centerId: string, externalId: string, field: string): Promise<string> {
  const refs = await requireRefs(em, centerId, { [field]: { entity, externalId } });
  return refs[field]!;
}

/** uuid → external id for a batch of rows of one kind (views). */
export async function externalIds(em: EntityManager, entity: Directory, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await em.find(entity as EntityClass<{ id: string; externalId: string }>, { id: { $in: wanted } } as FilterQuery<{ id: string; externalId: string }>, {
    fields: ['id', 'externalId'],
  });
  return new Map(rows.map((r) => [r.id, r.externalId]));
}
