import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

const INDEXED = temporal.api.enums.v1.IndexedValueType;
const TYPES = { KEYWORD: INDEXED.INDEXED_VALUE_TYPE_KEYWORD, DATETIME: INDEXED.INDEXED_VALUE_TYPE_DATETIME } as const;

/** X6: registers the operators' search attributes on a server (dev, test or self-hosted). */
export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  const searchAttributes = Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, TYPES[key.type as keyof typeof TYPES]]));
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
}
