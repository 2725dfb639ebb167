import type { EntityClass, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Appointment, Location, Patient, Resource, Service } from '../db/entities/index.js';
import { ApiError } from './problem.js';

/**
 * Translation between the booking system's ids (in paths and bodies) and our uuids (in rows
 * and engine calls), always within one center.
 */
type Directory = typeof Patient | typeof Resource | typeof Service | typeof Location | typeof Appointment;

type Wanted = Record<string, { entity: Directory; externalId: string | null | undefined }>;
/** Each wanted field's uuid; null only where the field may be absent and is. */
export type ResolvedRefs<W extends Wanted> = { [F in keyof W]: W[F]['externalId'] extends string ? string : string | null };

/**
 * Several referenced ids of one request resolved in one statement (a UNION ALL of one indexed
 * lookup per field), scoped by center: 422 naming the first field, in the order given, whose id
 * is unknown. An absent (null / undefined) id resolves to null.
 */
export async function requireRefs<W extends Wanted>(em: EntityManager, centerId: string, wanted: W): Promise<ResolvedRefs<W>> {
  const fields = Object.entries(wanted);
  const asked = fields.flatMap(([field, { entity, externalId }], i) =>
    externalId === null || externalId === undefined ? [] : [{ i, field, entity, externalId }],
  );
  const found = new Map<number, string>();
  if (asked.length > 0) {
    const tables = em.getMetadata();
    // Only table names from metadata and literal indexes go into the text; the ids are bound.
    const sql = asked.map((a) => `select ${a.i}::int as i, id from "${tables.get(a.entity.name).tableName}" where center_id = ? and external_id = ?`).join(' union all ');
    const rows = await em.execute<{ i: number; id: string }[]>(sql, asked.flatMap((a) => [centerId, a.externalId]));
    for (const row of rows) found.set(row.i, row.id);
  }
  for (const a of asked) {
    if (!found.has(a.i)) throw ApiError.unprocessable(a.field, `No ${a.entity.name.toLowerCase()} with id "${a.externalId}" in this center.`);
  }
  return Object.fromEntries(fields.map(([field], i) => [field, found.get(i) ?? null])) as ResolvedRefs<W>;
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
