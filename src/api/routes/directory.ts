import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { EntityClass, FilterQuery, RequiredEntityData } from '@mikro-orm/core';
import type { CenterOwned } from '../../db/entities/base.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv, Caller } from '../context.js';
import { findPage, pageOf, pageQuery } from '../pagination.js';
import { ApiError } from '../problem.js';
import { bearer, conflictResponse, errorResponses, idParam, json, jsonBody } from '../schemas.js';

/** A directory row pushed by the booking system and addressed by its own id. */
export type DirectoryRow = CenterOwned & { externalId: string };

export interface DirectorySpec<R extends DirectoryRow, B extends z.ZodType, V extends z.ZodType> {
  /** Path segment and tag, e.g. `patients`. */
  path: string;
  tag: string;
  /** Singular for messages, e.g. `Patient`. */
  noun: string;
  entity: EntityClass<R>;
  body: B;
  view: V;
  toView: (row: R) => z.infer<V>;
  /** Replace every field of the row from the body (PUT = create or replace). */
  assign: (row: R, body: z.infer<B>) => void;
  /** After `assign`, in the request's transaction: the row as it was (null = new) and as it is now (e.g. X7 consent audit). */
  onReplaced?: (em: ApiEnv['Variables']['em'], change: { before: Readonly<R> | null; after: R; caller: Caller; at: Date }) => Promise<void>;
}

export const timestamps = { createdAt: z.string(), updatedAt: z.string() };
export const stamp = (row: { createdAt: Date; updatedAt: Date }) => ({ createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() });

/**
 * GET list, GET one, PUT (create or replace) for one directory resource. Rows are always looked
 * up by (caller's center, external id): another center's id is simply not found.
 */
export function directoryRoutes<R extends DirectoryRow, B extends z.ZodType, V extends z.ZodType>(spec: DirectorySpec<R, B, V>) {
  const readers = [requireScope('booking')];
  const list = createRoute({
    method: 'get',
    path: `/${spec.path}`,
    tags: [spec.tag],
    summary: `${spec.tag}, newest first`,
    security: bearer,
    middleware: readers,
    request: { query: z.strictObject(pageQuery) },
    responses: { 200: json(pageOf(spec.view, `${spec.noun}Page`), `A page of ${spec.path}`), ...errorResponses },
  });
  const get = createRoute({
    method: 'get',
    path: `/${spec.path}/{id}`,
    tags: [spec.tag],
    summary: `One ${spec.noun.toLowerCase()} by the booking system’s id`,
    security: bearer,
    middleware: readers,
    request: { params: idParam },
    responses: { 200: json(spec.view, spec.noun), ...errorResponses },
  });
  const put = createRoute({
    method: 'put',
    path: `/${spec.path}/{id}`,
    tags: [spec.tag],
    summary: `Create or replace a ${spec.noun.toLowerCase()} (fields left out are cleared)`,
    security: bearer,
    middleware: readers,
    request: { params: idParam, body: jsonBody(spec.body) },
    // 409: a patient erased under GDPR art. 17 is never written again (X7).
    responses: { 200: json(spec.view, 'Replaced'), 201: json(spec.view, 'Created'), ...errorResponses, ...conflictResponse },
  });

  const find = (em: ApiEnv['Variables']['em'], centerId: string, externalId: string) =>
    em.findOne(spec.entity, { centerId, externalId } as FilterQuery<R>);

  return new OpenAPIHono<ApiEnv>()
    .openapi(list, async (c) => {
      const centerId = callerCenterId(c.var.caller);
      const page = await findPage(c.var.em, spec.entity, { centerId } as FilterQuery<R>, c.req.valid('query'), (rows) => rows.map(spec.toView));
      return c.json(page, 200);
    })
    .openapi(get, async (c) => {
      const row = await find(c.var.em, callerCenterId(c.var.caller), c.req.valid('param').id);
      if (!row) throw ApiError.notFound(spec.noun);
      return c.json(spec.toView(row), 200);
    })
    .openapi(put, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      // The route's own validators checked both; the generic body type is beyond Hono's inference.
      const externalId = (c.req.valid('param' as never) as { id: string }).id;
      const input = c.req.valid('json' as never) as z.infer<B>;
      const existing = await find(em, centerId, externalId);
      const row = existing ?? em.create(spec.entity, { centerId, externalId } as unknown as RequiredEntityData<R>, { persist: false });
      const before = existing ? { ...existing } : null;
      spec.assign(row, input);
      em.persist(row);
      await em.flush();
      await spec.onReplaced?.(em, { before, after: row, caller: c.var.caller, at: row.updatedAt });
      return c.json(spec.toView(row), existing ? 200 : 201);
    });
}
