import { isGrpcServiceError, type Connection } from '@temporalio/client';
// Not re-exported from the package root: the codec the SDK itself uses for typed search attributes.
import { encodeSearchAttributeIndexedValueType, type SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';
import type { SearchAttributeType } from '@temporalio/common';
import { customSearchAttributes } from './search-attributes.js';

const GRPC_UNIMPLEMENTED = 12;

function indexedValueType(key: SearchAttributeKey<SearchAttributeType>) {
  const type = encodeSearchAttributeIndexedValueType(key.type);
  if (type === undefined) throw new Error(`unknown search attribute type ${key.type} of ${key.name}`);
  return type;
}

/**
 * Registers the custom search attributes that a namespace lacks (idempotent). `start-dev
 * --search-attribute` only applies to a fresh SQLite file, so a reused one is brought up to date
 * here. Also serves the time-skipping test server (which can add but not list) and a fresh
 * production cluster.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const known = await listSearchAttributeNames(connection, namespace);
  const missing = customSearchAttributes.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedValueType(key)])),
  });
  return missing.map((key) => key.name);
}

/** Names known to the namespace; empty on a server that cannot list them (the test server). */
async function listSearchAttributeNames(connection: Connection, namespace: string): Promise<Set<string>> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    return new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_UNIMPLEMENTED) return new Set();
    throw err;
  }
}
