import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';
import { Appointment, Message, MessageEvent, Patient, Resource } from '../../db/entities/index.js';
import { MESSAGE_STATUSES, RECIPIENT_KINDS, SKIP_REASONS } from '../../domain/events.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { findPage, pageOf, pageQuery } from '../pagination.js';
import { ApiError } from '../problem.js';
import { externalIds } from '../refs.js';
import { bearer, channel, dateOrDateTime, errorResponses, eventKind, externalId, isUuid, json, uuidParam } from '../schemas.js';
import { loadCenter } from './center.js';

const READ_NOTE =
  'Opens are detected with a tracking image: mail apps that block images hide real reads, and privacy proxies open every email. A hint, not proof of reading.';

const messageView = z
  .object({
    id: z.uuid(),
    appointmentId: z.string().nullable().openapi({ description: 'The booking system’s appointment id.' }),
    eventKind,
    channel,
    recipient: z.object({
      kind: z.enum(RECIPIENT_KINDS),
      id: z.string().nullable().openapi({ description: 'The booking system’s patient or resource id; null for the center’s admins.' }),
      address: z.string().nullable().openapi({ description: 'The email address or phone number used.' }),
    }),
    locale: z.string(),
    subject: z.string().nullable(),
    text: z.string().nullable(),
    status: z.enum(MESSAGE_STATUSES),
    skipReason: z.enum(SKIP_REASONS).nullable().openapi({ description: 'Why it was not sent (E1).' }),
    failureReason: z.string().nullable(),
    possibleDuplicate: z.boolean().openapi({
      description: 'Email only: sent again after an attempt whose outcome was unknown, with the same Message-ID; the recipient may have it twice.',
    }),
    credits: z.number().int(),
    segments: z.number().int().nullable(),
    dueAt: z.string(),
    sentAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    failedAt: z.string().nullable(),
    read: z
      .object({ tracked: z.boolean(), opens: z.number().int(), firstOpenedAt: z.string().nullable(), reliable: z.literal(false), note: z.string() })
      .nullable()
      .openapi({ description: 'A4-read, email only: opens seen by the tracking pixel; not reliable proof of reading.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Message');

const historyEntry = z.object({ status: z.string(), detail: z.string().nullable(), at: z.string() }).openapi('MessageEvent');

const messageDetail = messageView
  .extend({
    history: z.array(historyEntry).openapi({ description: 'The latest status changes, newest first: the first page of `GET /v1/messages/{id}/history`.' }),
    historyNextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` to `GET /v1/messages/{id}/history` for older entries; null when there are none.' }),
  })
  .openapi('MessageDetail');

const HISTORY_IN_DETAIL = 50;

const toHistory = (rows: MessageEvent[]) => rows.map((h) => ({ status: h.status, detail: h.detail, at: h.createdAt.toISOString() }));

async function toViews(em: EntityManager, rows: Message[], readTracking: boolean): Promise<z.infer<typeof messageView>[]> {
  const appointments = await externalIds(em, Appointment, rows.map((m) => m.appointmentId));
  const patients = await externalIds(em, Patient, rows.map((m) => (m.recipientKind === 'patient' ? m.recipientId : null)));
  const resources = await externalIds(em, Resource, rows.map((m) => (m.recipientKind === 'resource' ? m.recipientId : null)));
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return rows.map((m) => ({
    id: m.id,
    appointmentId: m.appointmentId === null ? null : (appointments.get(m.appointmentId) ?? null),
    eventKind: m.eventKind,
    channel: m.channel,
    recipient: {
      kind: m.recipientKind,
      id: m.recipientId === null ? null : ((m.recipientKind === 'patient' ? patients : resources).get(m.recipientId) ?? null),
      address: m.recipientAddress,
    },
    locale: m.locale,
    subject: m.subject,
    text: m.body,
    status: m.status,
    skipReason: m.skipReason,
    failureReason: m.failureReason,
    possibleDuplicate: m.possibleDuplicate,
    credits: m.credits,
    segments: m.segments,
    dueAt: m.dueAt.toISOString(),
    sentAt: iso(m.sentAt),
    deliveredAt: iso(m.deliveredAt),
    failedAt: iso(m.failedAt),
    read:
      m.channel === 'email'
        ? { tracked: readTracking, opens: m.openCount, firstOpenedAt: iso(m.readAt), reliable: false as const, note: READ_NOTE }
        : null,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  }));
}

/** A date is a whole day in the center's time zone; a date-time is taken as given. */
function bound(value: string, timeZone: string, edge: 'from' | 'to'): Date {
  if (value.includes('T')) return new Date(value);
  const day = DateTime.fromISO(value, { zone: timeZone });
  return (edge === 'from' ? day.startOf('day') : day.plus({ days: 1 }).startOf('day')).toJSDate();
}

const listQuery = z.strictObject({
  ...pageQuery,
  status: z.enum(MESSAGE_STATUSES).optional(),
  channel: channel.optional(),
  eventKind: eventKind.optional(),
  recipientKind: z.enum(['patient', 'resource']).optional(),
  recipientId: externalId.optional().openapi({ description: 'The booking system’s patient or resource id.' }),
  appointmentId: externalId.optional(),
  from: dateOrDateTime.optional().openapi({ description: 'Due at or after (a date = from its start in the center’s time zone).' }),
  to: dateOrDateTime.optional().openapi({ description: 'Due before (a date = up to its end, inclusive).' }),
});

const admin = [requireScope('admin')];

const listMessages = createRoute({
  method: 'get',
  path: '/messages',
  tags: ['Messages'],
  summary: 'E1: every message, sent or not, newest first, with filters',
  security: bearer,
  middleware: admin,
  request: { query: listQuery },
  responses: { 200: json(pageOf(messageView, 'MessagePage'), 'A page of messages'), ...errorResponses },
});

const getMessage = createRoute({
  method: 'get',
  path: '/messages/{id}',
  tags: ['Messages'],
  summary: 'One message with its status history',
  security: bearer,
  middleware: admin,
  request: { params: uuidParam },
  responses: { 200: json(messageDetail, 'The message'), ...errorResponses },
});

const getHistory = createRoute({
  method: 'get',
  path: '/messages/{id}/history',
  tags: ['Messages'],
  summary: 'E1: the status history of one message, newest first, paged',
  security: bearer,
  middleware: admin,
  request: { params: uuidParam, query: z.strictObject(pageQuery) },
  responses: { 200: json(pageOf(historyEntry, 'MessageEventPage'), 'A page of status changes'), ...errorResponses },
});

/** The caller's center's message, or 404 (another center's id is not found either). */
async function ownMessage(em: EntityManager, centerId: string, id: string): Promise<Message> {
  const message = isUuid(id) ? await em.findOne(Message, { id, centerId }) : null;
  if (!message) throw ApiError.notFound('Message');
  return message;
}

export function messageRoutes(_deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>()
    .openapi(listMessages, async (c) => {
      const em = c.var.em;
      const center = await loadCenter(em, callerCenterId(c.var.caller));
      const q = c.req.valid('query');
      const where: FilterQuery<Message>[] = [{ centerId: center.id }];
      if (q.status) where.push({ status: q.status });
      if (q.channel) where.push({ channel: q.channel });
      if (q.eventKind) where.push({ eventKind: q.eventKind });
      if (q.from) where.push({ dueAt: { $gte: bound(q.from, center.timeZone, 'from') } });
      if (q.to) where.push({ dueAt: { $lt: bound(q.to, center.timeZone, 'to') } });
      if (q.recipientKind && !q.recipientId) where.push({ recipientKind: q.recipientKind });
      if (q.recipientId) {
        const kinds = q.recipientKind ? [q.recipientKind] : (['patient', 'resource'] as const);
        const ids: string[] = [];
        for (const kind of kinds) {
          const row = await em.findOne(kind === 'patient' ? Patient : Resource, { centerId: center.id, externalId: q.recipientId }, { fields: ['id'] });
          if (row) ids.push(row.id);
        }
        where.push({ recipientId: { $in: ids } });
      }
      if (q.appointmentId) {
        const appointment = await em.findOne(Appointment, { centerId: center.id, externalId: q.appointmentId }, { fields: ['id'] });
        if (!appointment) return c.json({ data: [], nextCursor: null }, 200);
        where.push({ appointmentId: appointment.id });
      }
      const page = await findPage(em, Message, { $and: where }, q, (rows) => toViews(em, rows, center.readTracking));
      return c.json(page, 200);
    })
    .openapi(getMessage, async (c) => {
      const em = c.var.em;
      const center = await loadCenter(em, callerCenterId(c.var.caller));
      const message = await ownMessage(em, center.id, c.req.valid('param').id);
      const history = await findPage(em, MessageEvent, { messageId: message.id }, { limit: HISTORY_IN_DETAIL }, toHistory);
      const [view] = await toViews(em, [message], center.readTracking);
      if (!view) throw ApiError.notFound('Message');
      return c.json({ ...view, history: history.data, historyNextCursor: history.nextCursor }, 200);
    })
    .openapi(getHistory, async (c) => {
      const em = c.var.em;
      const message = await ownMessage(em, callerCenterId(c.var.caller), c.req.valid('param').id);
      return c.json(await findPage(em, MessageEvent, { messageId: message.id }, c.req.valid('query'), toHistory), 200);
    });
}
