import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { insertAlertOnce } from '../../db/alerts.js';
import { Resource, ResourceAlert } from '../../db/entities/index.js';
import type { AlertProgress } from '../../engine/port.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { enqueueCommands } from '../../db/outbox.js';
import { findPage, pageOf, pageQuery } from '../pagination.js';
import { ApiError } from '../problem.js';
import { externalIds, requireRef } from '../refs.js';
import { bearer, conflictResponse, day, errorResponses, externalId, idempotencyHeaders, isUuid, json, jsonBody, unprocessableResponse, uuidParam } from '../schemas.js';
import { stamp, timestamps } from './directory.js';

const alertView = z
  .object({
    id: z.uuid(),
    resourceId: z.string(),
    day: z.string(),
    kind: z.enum(['delay', 'absence']),
    delayMinutes: z.number().int().nullable(),
    progress: z.object({
      affected: z.number().int().openapi({ description: 'Appointments of that resource on that day.' }),
      notified: z.number().int(),
      done: z.boolean(),
    }),
    ...timestamps,
  })
  .openapi('Alert');

// One shape per kind, so the document says that a delay needs its minutes and an absence has none.
const alertTarget = {
  resourceId: externalId,
  day: day.openapi({ description: 'The day in the center’s time zone.', example: '2026-12-01' }),
};
const alertInput = z
  .discriminatedUnion('kind', [
    z.strictObject({
      ...alertTarget,
      kind: z.literal('delay'),
      delayMinutes: z.number().int().min(1).max(12 * 60).openapi({ description: 'Required for a delay: each patient’s new time is start + N.' }),
    }),
    z.strictObject({ ...alertTarget, kind: z.literal('absence'), delayMinutes: z.null().optional().openapi({ description: 'Left out for an absence.' }) }),
  ])
  .openapi('AlertInput');

async function toViews(em: EntityManager, rows: ResourceAlert[], progress: (AlertProgress | null)[]): Promise<z.infer<typeof alertView>[]> {
  const resources = await externalIds(em, Resource, rows.map((r) => r.resourceId));
  return rows.map((a, i) => {
    const p = progress[i] ?? null;
    return {
      id: a.id,
      resourceId: resources.get(a.resourceId) ?? '',
      day: a.day,
      kind: a.kind,
      delayMinutes: a.delayMinutes,
      // The engine knows best while the fan-out runs; the row's counters otherwise.
      progress: p ? { affected: p.affected, notified: p.notified, done: p.done } : { affected: a.affectedCount, notified: a.notifiedCount, done: a.finishedAt !== null },
      ...stamp(a),
    };
  });
}

const booking = [requireScope('booking')];
const tags = ['Alerts'];

const createAlert = createRoute({
  method: 'post',
  path: '/alerts',
  tags,
  summary: 'B4: a resource is late or absent on a day; every patient of that day is told at once',
  security: bearer,
  middleware: booking,
  request: { headers: idempotencyHeaders, body: jsonBody(alertInput) },
  description:
    'One alert per resource, day and kind: a repeat sends nothing again and answers 200 with the existing alert (same id); a delay of other minutes than the existing one answers 409.',
  responses: {
    202: json(alertView, 'Accepted; follow its progress with GET /v1/alerts/{id}'),
    200: json(alertView, 'Already alerted for this resource, day and kind: the existing alert, nothing sent again'),
    ...errorResponses,
    ...conflictResponse,
    ...unprocessableResponse,
  },
});

const getAlert = createRoute({
  method: 'get',
  path: '/alerts/{id}',
  tags,
  summary: 'An alert and how many patients have been told',
  security: bearer,
  middleware: booking,
  request: { params: uuidParam },
  responses: { 200: json(alertView, 'The alert'), ...errorResponses },
});

const listAlerts = createRoute({
  method: 'get',
  path: '/alerts',
  tags,
  summary: 'Alerts, newest first',
  security: bearer,
  middleware: booking,
  request: { query: z.strictObject(pageQuery) },
  responses: { 200: json(pageOf(alertView, 'AlertPage'), 'A page of alerts'), ...errorResponses },
});

export function alertRoutes(deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>()
    .openapi(createAlert, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const body = c.req.valid('json');
      const resourceId = await requireRef(em, Resource, centerId, body.resourceId, 'resourceId');
      const delayMinutes = body.delayMinutes ?? null;
      const { alert, created } = await insertAlertOnce(em, { centerId, resourceId, day: body.day, kind: body.kind, delayMinutes });
      if (!created && alert.delayMinutes !== delayMinutes) {
        throw new ApiError(409, `The patients were already told of a ${alert.delayMinutes}-minute delay that day (alert ${alert.id}).`, [
          { field: 'delayMinutes', message: `differs from the alert already sent for this resource and day (${alert.delayMinutes})` },
        ]);
      }
      if (created) {
        await enqueueCommands(em, [{ type: 'resourceAlert', alert: { centerId, alertId: alert.id, resourceId, day: alert.day, kind: alert.kind, delayMinutes: alert.delayMinutes } }]);
      }
      const [view] = await toViews(em, [alert], [created ? null : await deps.engine.alertProgress(centerId, alert.id)]);
      return created ? c.json(view!, 202) : c.json(view!, 200);
    })
    .openapi(getAlert, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const { id } = c.req.valid('param');
      const alert = isUuid(id) ? await em.findOne(ResourceAlert, { id, centerId }) : null;
      if (!alert) throw ApiError.notFound('Alert');
      const progress = await deps.engine.alertProgress(centerId, alert.id);
      const [view] = await toViews(em, [alert], [progress]);
      return c.json(view!, 200);
    })
    .openapi(listAlerts, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      return c.json(await findPage(em, ResourceAlert, { centerId }, c.req.valid('query'), (rows) => toViews(em, rows, rows.map(() => null))), 200);
    });
}
