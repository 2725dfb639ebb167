/**
 * Everything a reader of Temporal could see, as text: payload bytes (inputs, results, signals,
 * memos, search attributes, failure details) decoded as UTF-8, plus every string (failure
 * messages, stack traces, ids). `JSON.stringify` of a history shows payload bytes as numbers, so
 * a search of it would miss a name inside a payload.
 */
export function readableText(value: unknown, seen = new Set<unknown>()): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (value === null || typeof value !== 'object' || seen.has(value)) return '';
  seen.add(value);
  const parts: string[] = [];
  for (const item of Array.isArray(value) ? value : Object.values(value)) parts.push(readableText(item, seen));
  return parts.filter(Boolean).join('\n');
}
