import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { LockMode } from '@mikro-orm/core';
import { Appointment } from '../../db/entities/index.js';
import { enqueueCommands } from '../../db/outbox.js';
import { applyWrite, bodyRefs, CANCELLED_DETAIL, changedCommand, writeOutcome } from '../appointment-writes.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { ApiError } from '../problem.js';
import { requireRefsOfItems } from '../refs.js';
import { bearer, conflictResponse, errorResponses, externalId, idempotencyHeaders, json, jsonBody, unprocessableResponse } from '../schemas.js';
import { appointmentFields, appointmentView, endsAfterStart, refsWanted, toViews, viewOf } from './appointments.js';

/** Items per batch: a full batch of typical items stays well inside the 256 KiB body limit. */
export const MAX_BATCH_ITEMS = 500;

const batchItem = z
  .strictObject({ id: externalId.openapi({ description: 'The booking system’s id of the appointment, as in `PUT /v1/appointments/{id}`.' }), ...appointmentFields })
  .refine(...endsAfterStart)
  .openapi('AppointmentBatchItem');

const batchInput = z
  .strictObject({ items: z.array(batchItem).min(1).max(MAX_BATCH_ITEMS) })
  .superRefine(({ items }, ctx) => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const seen = first.get(item.id);
      if (seen === undefined) first.set(item.id, i);
      else ctx.addIssue({ code: 'custom', path: ['items', i, 'id'], message: `appears twice in this batch (also items.${seen}.id)` });
    });
  })
  .openapi('AppointmentBatch');

const batchResult = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    ignored: z.number().int(),
    results: z.array(z.object({ id: z.string(), status: z.enum(['created', 'updated', 'ignored']), appointment: appointmentView })).openapi({ description: 'One per item, in the order sent.' }),
  })
  .openapi('AppointmentBatchResult');

const putBatch = createRoute({
  method: 'post',
  path: '/appointments:batch',
  tags: ['Appointments'],
  summary: `Create or modify up to ${MAX_BATCH_ITEMS} appointments at once (imports, catch-ups); all or nothing`,
  description:
    'Each item is what `PUT /v1/appointments/{id}` takes, plus its `id`, under the same rules: a revision not above the stored one is ignored (X5), ' +
    'a cancelled appointment cannot be modified, references are the caller’s center’s. One transaction: any bad item (400 or 422 naming `items.<i>.<field>`, ' +
    '409 naming `items.<i>.id` for a cancelled one) and nothing is written. The engine is told after the commit, like a single PUT.',
  security: bearer,
  middleware: [requireScope('booking')],
  request: { headers: idempotencyHeaders, body: jsonBody(batchInput) },
  responses: { 200: json(batchResult, 'Every item written or ignored'), ...errorResponses, ...conflictResponse, ...unprocessableResponse },
});

/**
 * B1 for imports: a batch of appointment writes in the request's one transaction, with their
 * engine commands in the outbox (one statement) — the relay starts the workflows after the
 * commit. All or nothing rather than per-item results: a booking system replays an import, and a
 * partly written batch would leave it to work out which items to send again.
 */
export function appointmentBatchRoutes(deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>().openapi(putBatch, async (c) => {
    const em = c.var.em;
    const centerId = callerCenterId(c.var.caller);
    const { items } = c.req.valid('json');
    // Locked in one order, so two batches that share appointments cannot deadlock.
    const stored = await em.find(Appointment, { centerId, externalId: { $in: items.map((i) => i.id) } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { externalId: 'asc' } });
    const byId = new Map(stored.map((row) => [row.externalId, row]));
    const outcomes = items.map((item) => writeOutcome(byId.get(item.id) ?? null, item.revision));
    const cancelled = outcomes.flatMap((o, i) => (o === 'cancelled' ? [{ field: `items.${i}.id`, message: CANCELLED_DETAIL }] : []));
    if (cancelled.length > 0) throw new ApiError(409, `${cancelled.length} of the items modify a cancelled appointment; nothing was written.`, cancelled);

    const writes = items.flatMap((item, i) => (outcomes[i] === 'ignored' ? [] : [i]));
    const refs = await requireRefsOfItems(em, centerId, writes.map((i) => ({ prefix: `items.${i}.`, wanted: refsWanted(items[i]!) })));
    const now = deps.now();
    const rows = new Map(writes.map((i, k) => [i, applyWrite({ centerId, externalId: items[i]!.id, existing: byId.get(items[i]!.id) ?? null }, items[i]!, refs[k]!, now)]));
    for (const i of writes) if (outcomes[i] === 'created') em.persist(rows.get(i)!);
    await em.flush();
    await enqueueCommands(em, writes.map((i) => changedCommand(rows.get(i)!, items[i]!, outcomes[i] === 'created')));

    // An ignored item answers the stored row, as a single PUT does.
    const ignored = items.flatMap((item, i) => (outcomes[i] === 'ignored' ? [byId.get(item.id)!] : []));
    const ignoredViews = new Map((await toViews(em, ignored)).map((v) => [v.id, v]));
    const results = items.map((item, i) => {
      const status = outcomes[i] as 'created' | 'updated' | 'ignored';
      const row = rows.get(i);
      return { id: item.id, status, appointment: row ? viewOf(row, bodyRefs(item)) : ignoredViews.get(item.id)! };
    });
    const count = (status: string) => results.filter((r) => r.status === status).length;
    return c.json({ created: count('created'), updated: count('updated'), ignored: count('ignored'), results }, 200);
  });
}
