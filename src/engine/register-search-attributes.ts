import type { Connection } from '@temporalio/client';
// The SDK's own codec (CommonJS named export that Node's ESM loader detects; `@temporalio/proto`'s
// `temporal` namespace is not, so importing it by name fails under tsx / plain Node).
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

const TYPES = { KEYWORD: encodeSearchAttributeIndexedValueType('KEYWORD')!, DATETIME: encodeSearchAttributeIndexedValueType('DATETIME')! } as const;

/** X6: registers the operators' search attributes on a server (dev, test or self-hosted). */
export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  const searchAttributes = Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, TYPES[key.type as keyof typeof TYPES]]));
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
}
