import { randomUUID } from 'node:crypto';
import type { EntitySchema, Opt } from '@mikro-orm/core';

/** Every row has a UUID id and creation / update times. */
export abstract class BaseRow {
  id: Opt<string> = randomUUID();
  createdAt: Opt<Date> = new Date();
  updatedAt: Opt<Date> = new Date();
}

export const baseProperties = {
  id: { type: 'uuid', primary: true },
  createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  updatedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date(), onUpdate: () => new Date() },
} as const;

/** Center-owned rows carry the center id; every query on them is scoped by it. */
export abstract class CenterOwned extends BaseRow {
  centerId!: string;
}

export const centerOwnedProperties = {
  ...baseProperties,
  // A real foreign key, but read and written as the plain id.
  centerId: { kind: 'm:1', entity: 'Center', mapToPk: true, fieldName: 'center_id', index: true, deleteRule: 'cascade' },
} as const;

export type AnySchema = EntitySchema<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
