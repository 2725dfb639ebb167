import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { LockMode } from '@mikro-orm/core';
import { createApiKey } from '../../db/api-keys.js';
import { ApiKey, Center } from '../../db/entities/index.js';
import { requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { answerOnce } from '../idempotency.js';
import { findPage, pageOf, pageQuery } from '../pagination.js';
import { ApiError } from '../problem.js';
import { bearer, countryCode, email, errorResponses, idempotencyHeaders, isUuid, json, jsonBody, locale, timeZone, unprocessableResponse } from '../schemas.js';
import { centerToView, centerView } from './center.js';

const keyView = z
  .object({
    id: z.uuid(),
    centerId: z.uuid().nullable(),
    name: z.string(),
    prefix: z.string().openapi({ description: 'First characters of the key, to tell keys apart.' }),
    scope: z.enum(['booking', 'admin', 'platform']),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');

const newKey = z.object({
  id: z.uuid(),
  key: z.string().optional().openapi({
    description: 'Shown once, in this answer only: only its hash is stored. A replay of the request (same Idempotency-Key) answers the same without `key`.',
  }),
  prefix: z.string(),
});
/** X5: a replay answers the new keys without the keys themselves (idempotency.ts). */
const withoutKey = <T extends { key?: string }>({ key: _shownOnce, ...rest }: T) => rest;

const toKeyView = (k: ApiKey): z.infer<typeof keyView> => ({
  id: k.id,
  centerId: k.centerId,
  name: k.name,
  prefix: k.prefix,
  scope: k.scope,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

const centerIdParam = z.strictObject({ centerId: z.string().max(100).openapi({ param: { name: 'centerId', in: 'path' } }) });
const keyParams = centerIdParam.extend({ keyId: z.string().max(100).openapi({ param: { name: 'keyId', in: 'path' } }) });

const platformOnly = [requireScope('platform')];

const createCenter = createRoute({
  method: 'post',
  path: '/centers',
  tags: ['Platform'],
  summary: 'Create a center; answers its admin and booking keys once',
  security: bearer,
  middleware: platformOnly,
  request: {
    headers: idempotencyHeaders,
    body: jsonBody(
      z
        .strictObject({
          name: z.string().trim().min(1).max(200),
          timeZone: timeZone.optional(),
          locale: locale.optional(),
          currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code, e.g. EUR').optional(),
          country: countryCode
            .optional()
            .openapi({ description: 'Where its SMS and calls may go until the platform sets a list (default IT).' }),
          adminEmails: z.array(email).max(20).optional(),
        })
        .openapi('NewCenter'),
    ),
  },
  responses: {
    201: json(z.object({ center: centerView, keys: z.object({ admin: newKey, booking: newKey }) }), 'The center and its two keys'),
    ...errorResponses,
    ...unprocessableResponse,
  },
});

const listCenters = createRoute({
  method: 'get',
  path: '/centers',
  tags: ['Platform'],
  summary: 'All centers, newest first',
  security: bearer,
  middleware: platformOnly,
  request: { query: z.strictObject(pageQuery) },
  responses: { 200: json(pageOf(centerView, 'CenterPage'), 'A page of centers'), ...errorResponses },
});

const listKeys = createRoute({
  method: 'get',
  path: '/centers/{centerId}/api-keys',
  tags: ['Platform'],
  summary: 'The API keys of a center (never the keys themselves)',
  security: bearer,
  middleware: platformOnly,
  request: { params: centerIdParam, query: z.strictObject(pageQuery) },
  responses: { 200: json(pageOf(keyView, 'ApiKeyPage'), 'A page of keys'), ...errorResponses },
});

const addKey = createRoute({
  method: 'post',
  path: '/centers/{centerId}/api-keys',
  tags: ['Platform'],
  summary: 'Issue another key for a center (e.g. to rotate one)',
  security: bearer,
  middleware: platformOnly,
  request: {
    params: centerIdParam,
    headers: idempotencyHeaders,
    body: jsonBody(z.strictObject({ scope: z.enum(['booking', 'admin']), name: z.string().trim().min(1).max(100) })),
  },
  responses: { 201: json(newKey.extend({ scope: z.enum(['booking', 'admin']) }), 'The new key, shown once'), ...errorResponses, ...unprocessableResponse },
});

const revokeKey = createRoute({
  method: 'delete',
  path: '/centers/{centerId}/api-keys/{keyId}',
  tags: ['Platform'],
  summary: 'Revoke a key: it stops working at once',
  security: bearer,
  middleware: platformOnly,
  request: { params: keyParams },
  responses: { 200: json(keyView, 'The revoked key'), ...errorResponses },
});

export async function existingCenter(em: ApiEnv['Variables']['em'], centerId: string, lock = false): Promise<Center> {
  const center = isUuid(centerId) ? await em.findOne(Center, centerId, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {}) : null;
  if (!center) throw ApiError.notFound('Center');
  return center;
}

export function platformRoutes(deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>()
    .openapi(createCenter, async (c) => {
      const em = c.var.em;
      const body = c.req.valid('json');
      const center = em.create(Center, {
        name: body.name,
        ...(body.timeZone ? { timeZone: body.timeZone } : {}),
        ...(body.locale ? { locale: body.locale } : {}),
        ...(body.currency ? { currency: body.currency } : {}),
        ...(body.country ? { country: body.country } : {}),
        adminEmails: body.adminEmails ?? [],
      });
      await em.flush();
      const admin = await createApiKey(em, { centerId: center.id, scope: 'admin', name: 'admin' });
      const booking = await createApiKey(em, { centerId: center.id, scope: 'booking', name: 'booking system' });
      const keys = {
        admin: { id: admin.row.id, key: admin.key, prefix: admin.row.prefix },
        booking: { id: booking.row.id, key: booking.key, prefix: booking.row.prefix },
      };
      const view = centerToView(center);
      answerOnce(c, { center: view, keys: { admin: withoutKey(keys.admin), booking: withoutKey(keys.booking) } });
      return c.json({ center: view, keys }, 201);
    })
    .openapi(listCenters, async (c) => {
      const page = await findPage(c.var.em, Center, {}, c.req.valid('query'), (rows) => rows.map(centerToView));
      return c.json(page, 200);
    })
    .openapi(listKeys, async (c) => {
      const center = await existingCenter(c.var.em, c.req.valid('param').centerId);
      const page = await findPage(c.var.em, ApiKey, { centerId: center.id }, c.req.valid('query'), (rows) => rows.map(toKeyView));
      return c.json(page, 200);
    })
    .openapi(addKey, async (c) => {
      const center = await existingCenter(c.var.em, c.req.valid('param').centerId);
      const body = c.req.valid('json');
      const { key, row } = await createApiKey(c.var.em, { centerId: center.id, scope: body.scope, name: body.name });
      const answer = { id: row.id, key, prefix: row.prefix, scope: body.scope };
      answerOnce(c, withoutKey(answer));
      return c.json(answer, 201);
    })
    .openapi(revokeKey, async (c) => {
      const { centerId, keyId } = c.req.valid('param');
      const center = await existingCenter(c.var.em, centerId);
      const key = isUuid(keyId) ? await c.var.em.findOne(ApiKey, { id: keyId, centerId: center.id }) : null;
      if (!key) throw ApiError.notFound('API key');
      key.revokedAt ??= deps.now();
      await c.var.em.flush();
      deps.forgetApiKey(key.id);
      return c.json(toKeyView(key), 200);
    });
}
