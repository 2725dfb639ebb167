import type { MiddlewareHandler } from 'hono';
import { ApiError, type FieldError } from './problem.js';

/**
 * PostgreSQL text cannot hold a NUL character: one in any string of a request (body, query or
 * path) is a 400 naming the field, checked here once for every /v1 route before any lookup,
 * instead of a database error. The OpenAPI document says so (`NO_NUL_PATTERN` on every
 * free-text string, see documentNoNul).
 */
export function rejectNul(): MiddlewareHandler {
  return async (c, next) => {
    const errors: FieldError[] = [];
    const url = new URL(c.req.url);
    if (safeDecode(url.pathname).includes('\0')) errors.push({ field: '(path)', message: NUL_MESSAGE });
    for (const [name, value] of url.searchParams) {
      if (name.includes('\0') || value.includes('\0')) errors.push({ field: name.replaceAll('\0', ''), message: NUL_MESSAGE });
    }
    if ((c.req.header('content-type') ?? '').includes('json')) {
      const text = await c.req.text();
      // Invalid JSON is left to the route's validation (400 naming the body).
      if (text.includes('\0') || text.includes('\\u0000')) errors.push(...nulFields(parseOrNull(text), []));
    }
    if (errors.length > 0) throw ApiError.validation(errors, 'A NUL character is not allowed in any text.');
    await next();
  };
}

const NUL_MESSAGE = 'must not contain a NUL character';

/** The regular expression the document puts on every free-text string. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.includes('\0') ? '\0' : null;
  }
}

function nulFields(value: unknown, path: string[]): FieldError[] {
  const field = path.join('.') || '(body)';
  if (typeof value === 'string') return value.includes('\0') ? [{ field, message: NUL_MESSAGE }] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => nulFields(item, [...path, String(i)]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      key.includes('\0') ? [{ field: [...path, key.replaceAll('\0', '')].join('.'), message: NUL_MESSAGE }] : nulFields(item, [...path, key]),
    );
  }
  return [];
}

/**
 * Adds NO_NUL_PATTERN to every string schema of the document that has no pattern, format or
 * enum of its own (those already exclude NUL), so the document states what rejectNul checks.
 */
export function documentNoNul<T>(doc: T): T {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const schema = node as Record<string, unknown>;
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (types.includes('string') && !('pattern' in schema) && !('format' in schema) && !('enum' in schema) && !('const' in schema)) {
      schema.pattern = NO_NUL_PATTERN;
    }
    Object.values(schema).forEach(visit);
  };
  visit(doc);
  return doc;
}
