import type { EntityClass, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Appointment, Location, Patient, Resource, Service } from '../db/entities/index.js';
import { ApiError } from './problem.js';

type Directory = typeof Patient | typeof Resource | typeof Service | typeof Location | typeof Appointment;

/**
 * Translation between the booking system's ids (in paths and bodies) and our uuids (in rows
 * and engine calls), always within one center.
 */
export async function internalId(em: EntityManager, entity: Directory, centerId: string, externalId: string): Promise<string | null> {
  const row = await em.findOne(entity as EntityClass<{ id: string; centerId: string; externalId: string }>, { centerId, externalId }, { fields: ['id'] });
  return row?.id ?? null;
}

/** A referenced id that must exist: 422 naming the field otherwise. */
export async function requireRef(em: EntityManager, entity: Directory, centerId: string, externalId: string, field: string): Promise<string> {
  const id = await internalId(em, entity, centerId, externalId);
  if (id === null) throw ApiError.unprocessable(field, `No ${entity.name.toLowerCase()} with id "${externalId}" in this center.`);
  return id;
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
