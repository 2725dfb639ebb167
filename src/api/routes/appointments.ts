import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { Appointment, Location, Message, Patient, Resource, Service } from '../../db/entities/index.js';
import { APPOINTMENT_STATUSES } from '../../domain/events.js';
import type { TimelineEntry } from '../../engine/port.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { findPage, pageOf, pageQuery } from '../pagination.js';
import { ApiError } from '../problem.js';
import { externalIds, refsResolver } from '../refs.js';
import {
  bearer,
  conflictResponse,
  errorResponses,
  externalId,
  idempotencyHeaders,
  idParam,
  INT32_MAX,
  isoDateTime,
  json,
  jsonBody,
  unprocessableResponse,
} from '../schemas.js';
import { stamp, timestamps } from './directory.js';
import { applyWrite, bodyRefs, CANCELLED_DETAIL, changedCommand, writeOutcome, type AppointmentWrite } from '../appointment-writes.js';
import { enqueueCommands } from '../../db/outbox.js';
import { appointmentStatements } from '../../db/appointment-statements.js';
import { appointmentWorkflowId } from '../../workflows/definitions.js';

export const appointmentView = z
  .object({
    id: z.string(),
    patientId: z.string(),
    resourceId: z.string().nullable(),
    serviceId: z.string().nullable(),
    locationId: z.string().nullable(),
    startAt: z.string(),
    endAt: z.string(),
    status: z.enum(APPOINTMENT_STATUSES),
    notes: z.string().nullable(),
    group: z.string().nullable(),
    priceList: z.string().nullable(),
    bookedOnline: z.boolean(),
    bookedAt: z.string(),
    revision: z.number().int(),
    recallIntervalDays: z.number().int().nullable().openapi({ description: 'B2-recall: the manual interval, if any.' }),
    confirmedAt: z.string().nullable(),
    cancelledAt: z.string().nullable(),
    ...timestamps,
  })
  .openapi('Appointment');

type AppointmentView = z.infer<typeof appointmentView>;

/** The external ids of the rows an appointment points at. */
interface RefExternalIds {
  patientId: string;
  resourceId: string | null;
  serviceId: string | null;
  locationId: string | null;
}

export function viewOf(a: Appointment, refs: RefExternalIds): AppointmentView {
  return {
    id: a.externalId,
    ...refs,
    startAt: a.startAt.toISOString(),
    endAt: a.endAt.toISOString(),
    status: a.status,
    notes: a.notes,
    group: a.groupName,
    priceList: a.priceList,
    bookedOnline: a.bookedOnline,
    bookedAt: a.bookedAt.toISOString(),
    revision: a.revision,
    recallIntervalDays: a.manualRecallDays,
    confirmedAt: a.confirmedAt?.toISOString() ?? null,
    cancelledAt: a.cancelledAt?.toISOString() ?? null,
    ...stamp(a),
  };
}

export async function toViews(em: EntityManager, rows: Appointment[]): Promise<AppointmentView[]> {
  // One after the other: inside a write's transaction they share one connection.
  const patients = await externalIds(em, Patient, rows.map((r) => r.patientId));
  const resources = await externalIds(em, Resource, rows.map((r) => r.resourceId));
  const services = await externalIds(em, Service, rows.map((r) => r.serviceId));
  const locations = await externalIds(em, Location, rows.map((r) => r.locationId));
  const ext = (map: Map<string, string>, id: string | null) => (id === null ? null : (map.get(id) ?? null));
  return rows.map((a) =>
    viewOf(a, {
      patientId: ext(patients, a.patientId) ?? '',
      resourceId: ext(resources, a.resourceId),
      serviceId: ext(services, a.serviceId),
      locationId: ext(locations, a.locationId),
    }),
  );
}

async function toView(em: EntityManager, row: Appointment): Promise<AppointmentView> {
  const [view] = await toViews(em, [row]);
  if (!view) throw new Error('unreachable: one row in, one view out');
  return view;
}

/** The row of (center, external id), locked for the rest of the request's transaction when writing. */
async function findAppointment(em: EntityManager, centerId: string, externalIdValue: string, lock: boolean): Promise<Appointment> {
  const row = await em.findOne(Appointment, { centerId, externalId: externalIdValue }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!row) throw ApiError.notFound('Appointment');
  return row;
}


/** The fields of one appointment write: the PUT body, and each item of a batch (with its id). */
export const appointmentFields = {
  revision: z.number().int().min(0).max(INT32_MAX).openapi({ description: 'X5: the booking system’s revision; one not above the stored one is ignored.' }),
  patientId: externalId,
  resourceId: externalId.nullish(),
  serviceId: externalId.nullish(),
  locationId: externalId.nullish(),
  startAt: isoDateTime,
  endAt: isoDateTime.openapi({ description: 'Must be after startAt (years 1900–2199).' }),
  notes: z.string().max(5000).nullish(),
  group: z.string().max(255).nullish(),
  priceList: z.string().max(255).nullish(),
  bookedOnline: z.boolean().default(false).openapi({ description: 'B1: booked by the patient online.' }),
  bookedAt: isoDateTime.optional().openapi({ description: 'B2-min: when it was booked; default now (kept on later revisions).' }),
};

/** endAt after startAt, named on endAt. */
export const endsAfterStart: [(a: { startAt: string; endAt: string }) => boolean, { path: string[]; message: string }] = [
  (a) => Date.parse(a.endAt) > Date.parse(a.startAt),
  { path: ['endAt'], message: 'must be after startAt' },
];

const appointmentInput = z
  .strictObject(appointmentFields)
  .refine(...endsAfterStart)
  .openapi('AppointmentInput');

/** The directory rows a write names, in the order a 422 names the first unknown one. */
export function refsWanted(body: AppointmentWrite) {
  return {
    patientId: { entity: Patient, externalId: body.patientId },
    resourceId: { entity: Resource, externalId: body.resourceId ?? null },
    serviceId: { entity: Service, externalId: body.serviceId ?? null },
    locationId: { entity: Location, externalId: body.locationId ?? null },
  };
}

const timelineEntry = z
  .object({
    eventKind: z.string(),
    state: z.string().openapi({ description: 'planned, scheduled, sent, delivered, read, skipped, failed, cancelled…' }),
    at: z.string(),
    channel: z.string().nullable(),
    reason: z.string().nullable(),
    messageId: z.string().nullable(),
    source: z.enum(['engine', 'message']).openapi({ description: 'engine = the workflow’s plan; message = a stored message row.' }),
  })
  .openapi('TimelineEntry');

/**
 * X6: the workflow's planned steps plus every stored message; a message row wins over the
 * engine's copy of it, and over the plan of a step already prepared (its rows show `scheduled`).
 */
export function mergeTimeline(engine: TimelineEntry[], messages: Message[]): z.infer<typeof timelineEntry>[] {
  const stored = new Set(messages.map((m) => m.id));
  const prepared = new Set(messages.map((m) => `${m.eventKind}|${m.dueAt.toISOString()}`));
  const fromEngine = engine
    .filter((e) => !e.messageId || !stored.has(e.messageId))
    .filter((e) => e.state !== 'planned' || !prepared.has(`${e.eventKind}|${e.at}`))
    .map((e) => ({ eventKind: e.eventKind, state: e.state, at: e.at, channel: e.channel ?? null, reason: e.reason ?? null, messageId: e.messageId ?? null, source: 'engine' as const }));
  const fromRows = messages.map((m) => ({
    eventKind: m.eventKind,
    state: m.status,
    at: (m.failedAt ?? m.readAt ?? m.deliveredAt ?? m.sentAt ?? m.dueAt).toISOString(),
    channel: m.channel,
    reason: m.skipReason ?? m.failureReason,
    messageId: m.id,
    source: 'message' as const,
  }));
  return [...fromEngine, ...fromRows].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

const booking = [requireScope('booking')];
const tags = ['Appointments'];

const listAppointments = createRoute({
  method: 'get',
  path: '/appointments',
  tags,
  summary: 'Appointments, newest first; optionally of one patient',
  security: bearer,
  middleware: booking,
  request: { query: z.strictObject({ ...pageQuery, patientId: externalId.optional() }) },
  responses: { 200: json(pageOf(appointmentView, 'AppointmentPage'), 'A page of appointments'), ...errorResponses },
});

const getAppointment = createRoute({
  method: 'get',
  path: '/appointments/{id}',
  tags,
  summary: 'One appointment by the booking system’s id',
  security: bearer,
  middleware: booking,
  request: { params: idParam },
  responses: { 200: json(appointmentView, 'The appointment'), ...errorResponses },
});

/**
 * `PUT /v1/appointments/{id}` writes in one statement and needs no transaction around it
 * (src/db/appointment-statements.ts): the unit of work leaves the requests this matches alone.
 */
export const PUT_IN_ONE_STATEMENT = (method: string, path: string) => method === 'PUT' && /^\/v1\/appointments\/[^/]+$/.test(path);
/** Lost races a PUT retries before it answers 409: each one means another write of it committed. */
const MAX_PUT_ATTEMPTS = 5;

const putResult = z.object({ status: z.enum(['created', 'updated', 'ignored']), appointment: appointmentView }).openapi('AppointmentPutResult');

const putAppointment = createRoute({
  method: 'put',
  path: '/appointments/{id}',
  tags,
  summary: 'Create or modify an appointment (B1); a stale revision changes nothing (X5)',
  security: bearer,
  middleware: booking,
  request: { params: idParam, body: jsonBody(appointmentInput) },
  responses: {
    200: json(putResult, 'Updated, or ignored (revision not newer)'),
    201: json(putResult, 'Created'),
    ...errorResponses,
    ...conflictResponse,
    ...unprocessableResponse,
  },
});

const cancelAppointment = createRoute({
  method: 'post',
  path: '/appointments/{id}/cancel',
  tags,
  summary: 'Cancel an appointment (B1); cancelling again changes nothing',
  security: bearer,
  middleware: booking,
  request: { params: idParam, headers: idempotencyHeaders },
  responses: { 200: json(appointmentView, 'The cancelled appointment'), ...errorResponses, ...unprocessableResponse },
});

const recordAttendance = createRoute({
  method: 'post',
  path: '/appointments/{id}/attendance',
  tags,
  summary: 'Attended or no-show (B2-second reliability, B3 after-visit messages)',
  security: bearer,
  middleware: booking,
  request: { params: idParam, headers: idempotencyHeaders, body: jsonBody(z.strictObject({ attended: z.boolean() })) },
  responses: { 200: json(appointmentView, 'The appointment'), ...errorResponses, ...conflictResponse, ...unprocessableResponse },
});

const setRecallInterval = createRoute({
  method: 'put',
  path: '/appointments/{id}/recall-interval',
  tags,
  summary: 'A manual recall interval for this appointment (B2-recall); null = the service’s or the center’s',
  security: bearer,
  middleware: booking,
  request: { params: idParam, body: jsonBody(z.strictObject({ days: z.number().int().min(1).max(3650).nullable() })) },
  responses: { 200: json(appointmentView, 'The appointment'), ...errorResponses },
});

const getTimeline = createRoute({
  method: 'get',
  path: '/appointments/{id}/timeline',
  tags,
  summary: 'X6: every planned, sent and skipped message of the appointment, in time order',
  security: bearer,
  middleware: booking,
  request: { params: idParam },
  responses: {
    200: json(
      z.object({
        appointmentId: z.string(),
        workflowId: z.string().openapi({ description: 'X6: the appointment workflow in Temporal (also findable there by `AppointmentId = "<this id>"`).' }),
        webUiUrl: z.string().nullable().openapi({ description: 'The workflow in the Temporal Web UI; null when TEMPORAL_UI_URL is not configured.' }),
        hasWorkflow: z.boolean().openapi({ description: 'false when the engine has no workflow for it (finished, or its start is still in the outbox).' }),
        plannedUnavailable: z.boolean().openapi({ description: 'true when the engine could not answer just now (e.g. the worker holding the workflow died and another has not taken it over yet): the entries are the messages only, without what is still planned. Ask again shortly.' }),
        entries: z.array(timelineEntry),
      }),
      'The timeline',
    ),
    ...errorResponses,
  },
});

export function appointmentRoutes(deps: RouteDeps) {
  // Shared by this app's concurrent PUTs (appointment-statements.ts).
  const statements = appointmentStatements();
  return new OpenAPIHono<ApiEnv>()
    .openapi(listAppointments, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const query = c.req.valid('query');
      const where: { centerId: string; patientId?: string } = { centerId };
      if (query.patientId !== undefined) {
        const patient = await em.findOne(Patient, { centerId, externalId: query.patientId }, { fields: ['id'] });
        if (!patient) return c.json({ data: [], nextCursor: null }, 200);
        where.patientId = patient.id;
      }
      return c.json(await findPage(em, Appointment, where, query, (rows) => toViews(em, rows)), 200);
    })
    .openapi(getAppointment, async (c) => {
      const row = await findAppointment(c.var.em, callerCenterId(c.var.caller), c.req.valid('param').id, false);
      return c.json(await toView(c.var.em, row), 200);
    })
    .openapi(putAppointment, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const externalIdValue = c.req.valid('param').id;
      const body = c.req.valid('json');
      // No transaction around this one (PUT_IN_ONE_STATEMENT): read, decide, write-if-unchanged.
      const wanted = refsWanted(body);
      const resolveRefs = refsResolver(em, [{ prefix: '', wanted }]);
      for (let attempt = 1; ; attempt += 1) {
        const { existing, found } = await statements.read(em, { centerId, externalId: externalIdValue, refs: Object.values(wanted) });
        const outcome = writeOutcome(existing, body.revision);
        if (outcome === 'ignored') return c.json({ status: outcome, appointment: await toView(em, existing!) }, 200);
        if (outcome === 'cancelled') throw new ApiError(409, CANCELLED_DETAIL);
        const [refs] = resolveRefs(found);
        const read = existing && { revision: existing.revision, status: existing.status };
        const row = applyWrite({ centerId, externalId: externalIdValue, existing }, body, refs!, deps.now());
        row.updatedAt = new Date();
        if (await statements.write(em, { row, read, command: changedCommand(row, body, outcome === 'created') })) {
          return c.json({ status: outcome, appointment: viewOf(row, bodyRefs(body)) }, outcome === 'created' ? 201 : 200);
        }
        // Another write of this appointment committed between the read and the write: read again.
        if (attempt === MAX_PUT_ATTEMPTS) throw new ApiError(409, 'The appointment was changed by other requests while this one was written; send it again.');
      }
    })
    .openapi(cancelAppointment, async (c) => {
      const em = c.var.em;
      const row = await findAppointment(em, callerCenterId(c.var.caller), c.req.valid('param').id, true);
      if (row.status !== 'cancelled') {
        row.status = 'cancelled';
        row.cancelledAt = deps.now();
        await em.flush();
        // One cancellation per appointment ever: a fixed event id lets the engine drop repeats.
        await enqueueCommands(em, [{ type: 'appointmentCancelled', centerId: row.centerId, appointmentId: row.id, eventId: `cancel:${row.id}` }]);
      }
      return c.json(await toView(em, row), 200);
    })
    .openapi(recordAttendance, async (c) => {
      const em = c.var.em;
      const row = await findAppointment(em, callerCenterId(c.var.caller), c.req.valid('param').id, true);
      const { attended } = c.req.valid('json');
      if (row.status === 'cancelled') throw new ApiError(409, 'The appointment is cancelled; attendance cannot be recorded.');
      const status = attended ? 'attended' : 'no_show';
      if (row.status !== status) {
        row.status = status;
        await em.flush();
        await enqueueCommands(em, [{ type: 'attendance', centerId: row.centerId, appointmentId: row.id, attended, eventId: `attendance:${row.id}:${randomUUID()}` }]);
      }
      return c.json(await toView(em, row), 200);
    })
    .openapi(setRecallInterval, async (c) => {
      const em = c.var.em;
      const row = await findAppointment(em, callerCenterId(c.var.caller), c.req.valid('param').id, true);
      row.manualRecallDays = c.req.valid('json').days;
      await em.flush();
      return c.json(await toView(em, row), 200);
    })
    .openapi(getTimeline, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const row = await findAppointment(em, centerId, c.req.valid('param').id, false);
      // The messages are ours; what is still planned is the workflow's. A workflow whose worker just
      // died may not answer its query until another worker takes it over: the page still shows
      // what was sent and says the plan is missing, rather than failing as a whole.
      let plannedUnavailable = false;
      const [planned, messages] = await Promise.all([
        deps.engine.timeline(centerId, row.id).catch((err: unknown) => {
          deps.logger?.warn({ workflowId: appointmentWorkflowId(centerId, row.id), error: err instanceof Error ? err.name : 'error' }, 'timeline: the engine did not answer');
          plannedUnavailable = true;
          return null;
        }),
        em.find(Message, { centerId, appointmentId: row.id }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
      ]);
      const workflowId = appointmentWorkflowId(centerId, row.id);
      const ui = deps.config.TEMPORAL_UI_URL;
      const webUiUrl = ui ? `${ui.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.config.TEMPORAL_NAMESPACE ?? 'default')}/workflows/${encodeURIComponent(workflowId)}` : null;
      return c.json({ appointmentId: row.externalId, workflowId, webUiUrl, hasWorkflow: planned !== null || plannedUnavailable, plannedUnavailable, entries: mergeTimeline(planned ?? [], messages) }, 200);
    });
}
