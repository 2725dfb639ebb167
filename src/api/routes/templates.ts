import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadSubject } from '../../activities/render.js';
import { loadEventSetting, loadEventSettings } from '../../db/event-settings.js';
import { composeText } from '../../messages/compose.js';
import { Appointment, Template } from '../../db/entities/index.js';
import { defaultTemplate, type DefaultTemplateOptions } from '../../domain/default-templates.js';
import { CHANNELS, EVENT_KINDS, LOCALES, type Channel, type EventKind, type Locale } from '../../domain/events.js';
import { validateTemplate, type TemplateValidation } from '../../domain/placeholders.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { announcePolicyChange } from '../../db/outbox.js';
import { ApiError, type FieldError } from '../problem.js';
import { bearer, channel, errorResponses, eventKind, externalId, idempotencyHeaders, json, jsonBody, locale } from '../schemas.js';

const templateView = z
  .object({
    eventKind,
    channel,
    locale,
    subject: z.string().nullable().openapi({ description: 'Email only.' }),
    body: z.string(),
    custom: z.boolean().openapi({ description: 'false = the built-in default (what a reset restores).' }),
    updatedAt: z.string().nullable(),
  })
  .openapi('Template');

type TemplateView = z.infer<typeof templateView>;

const MAX_LENGTH: Record<Channel, number> = { email: 20_000, sms: 1_600, voice: 4_000 };

const pathParams = z.strictObject({
  eventKind: eventKind.openapi({ param: { name: 'eventKind', in: 'path' } }),
  channel: channel.openapi({ param: { name: 'channel', in: 'path' } }),
  locale: locale.openapi({ param: { name: 'locale', in: 'path' } }),
});

const templateInput = z
  .strictObject({ subject: z.string().max(500).nullish().openapi({ description: 'Required for email, absent otherwise.' }), body: z.string().min(1) })
  .openapi('TemplateInput');

const previewInput = z
  .strictObject({
    appointmentId: externalId.openapi({ description: 'A real appointment of the center to render against.' }),
    subject: z.string().max(500).nullish().openapi({ description: 'Unsaved text to try; default the current template.' }),
    body: z.string().min(1).optional(),
  })
  .openapi('TemplatePreviewInput');

/** The default a center would get today: reminders and after-visit texts follow the event's options. */
async function defaultsFor(em: EntityManager, centerId: string): Promise<(kind: EventKind) => DefaultTemplateOptions> {
  const settingOf = await loadEventSettings(em, centerId, ['appointment.reminder', 'appointment.second_reminder', 'appointment.post_visit']);
  const confirm = settingOf('appointment.reminder').options.requestConfirmation;
  const survey = settingOf('appointment.post_visit').options.kind === 'survey';
  return (kind) => {
    if (kind === 'appointment.reminder' || kind === 'appointment.second_reminder') return { requestConfirmation: confirm };
    if (kind === 'appointment.post_visit') return { survey };
    return {};
  };
}

function view(kind: EventKind, ch: Channel, loc: Locale, row: Template | undefined, options: DefaultTemplateOptions): TemplateView {
  if (row) return { eventKind: kind, channel: ch, locale: loc, subject: row.subject, body: row.body, custom: true, updatedAt: row.updatedAt.toISOString() };
  const d = defaultTemplate(kind, ch, loc, options);
  return { eventKind: kind, channel: ch, locale: loc, subject: d.subject, body: d.body, custom: false, updatedAt: null };
}

/** A4-tags: 400 naming the field and each offending tag; email needs a subject, the others have none. */
function checkTemplate(kind: EventKind, ch: Channel, text: { subject?: string | null | undefined; body: string }): void {
  const errors: FieldError[] = [];
  const collect = (field: string, result: TemplateValidation) => {
    if (!result.ok) for (const e of result.errors) errors.push({ field, message: e.message });
  };
  if (ch === 'email') {
    if (!text.subject || text.subject.trim() === '') errors.push({ field: 'subject', message: 'is required for an email template' });
    else collect('subject', validateTemplate(text.subject, { eventKind: kind, channel: ch }));
  } else if (text.subject !== undefined && text.subject !== null) {
    errors.push({ field: 'subject', message: `${ch} templates have no subject` });
  }
  if (text.body.length > MAX_LENGTH[ch]) errors.push({ field: 'body', message: `must be at most ${MAX_LENGTH[ch]} characters for ${ch}` });
  collect('body', validateTemplate(text.body, { eventKind: kind, channel: ch }));
  if (errors.length > 0) throw ApiError.validation(errors, 'The template is not valid.');
}

const admin = [requireScope('admin')];
const tags = ['Templates'];
const path = '/templates/{eventKind}/{channel}/{locale}';

const listTemplates = createRoute({
  method: 'get',
  path: '/templates',
  tags,
  summary: 'A4: every event × channel × language, custom or default — a fixed set of 78, not paged',
  security: bearer,
  middleware: admin,
  responses: { 200: json(z.object({ data: z.array(templateView) }), 'All templates'), ...errorResponses },
});

const getTemplate = createRoute({
  method: 'get',
  path,
  tags,
  summary: 'One template (the default when the center has not edited it)',
  security: bearer,
  middleware: admin,
  request: { params: pathParams },
  responses: { 200: json(templateView, 'The template'), ...errorResponses },
});

const putTemplate = createRoute({
  method: 'put',
  path,
  tags,
  summary: 'Save a template; unknown or misplaced [TAGS] are refused here, never at send time',
  security: bearer,
  middleware: admin,
  request: { params: pathParams, body: jsonBody(templateInput) },
  responses: { 200: json(templateView, 'The saved template'), ...errorResponses },
});

const resetTemplate = createRoute({
  method: 'delete',
  path,
  tags,
  summary: 'Reset a template to the built-in default',
  security: bearer,
  middleware: admin,
  request: { params: pathParams },
  responses: { 200: json(templateView, 'The default now in force'), ...errorResponses },
});

const previewTemplate = createRoute({
  method: 'post',
  path: `${path}/preview`,
  tags,
  summary: 'Render a template (saved or given) against a real appointment of the center',
  security: bearer,
  middleware: admin,
  request: { params: pathParams, headers: idempotencyHeaders, body: jsonBody(previewInput) },
  responses: {
    200: json(z.object({ subject: z.string().nullable(), body: z.string(), locale, channel }).openapi('TemplatePreview'), 'The rendered text'),
    ...errorResponses,
  },
});

export function templateRoutes(deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>()
    .openapi(listTemplates, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const rows = await em.find(Template, { centerId });
      const optionsOf = await defaultsFor(em, centerId);
      const byKey = new Map(rows.map((r) => [`${r.eventKind}|${r.channel}|${r.locale}`, r]));
      const data = EVENT_KINDS.flatMap((kind) =>
        CHANNELS.flatMap((ch) => LOCALES.map((loc) => view(kind, ch, loc, byKey.get(`${kind}|${ch}|${loc}`), optionsOf(kind)))),
      );
      return c.json({ data }, 200);
    })
    .openapi(getTemplate, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const p = c.req.valid('param');
      const row = await em.findOne(Template, { centerId, eventKind: p.eventKind, channel: p.channel, locale: p.locale });
      return c.json(view(p.eventKind, p.channel, p.locale, row ?? undefined, (await defaultsFor(em, centerId))(p.eventKind)), 200);
    })
    .openapi(putTemplate, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const p = c.req.valid('param');
      const body = c.req.valid('json');
      checkTemplate(p.eventKind, p.channel, body);
      const row =
        (await em.findOne(Template, { centerId, eventKind: p.eventKind, channel: p.channel, locale: p.locale })) ??
        em.create(Template, { centerId, eventKind: p.eventKind, channel: p.channel, locale: p.locale, body: body.body });
      row.subject = p.channel === 'email' ? (body.subject ?? null) : null;
      row.body = body.body;
      await em.flush();
      await announcePolicyChange(em, centerId); // messages prepared ahead are rendered again
      return c.json(view(p.eventKind, p.channel, p.locale, row, {}), 200);
    })
    .openapi(resetTemplate, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const p = c.req.valid('param');
      const removed = await em.nativeDelete(Template, { centerId, eventKind: p.eventKind, channel: p.channel, locale: p.locale });
      if (removed > 0) await announcePolicyChange(em, centerId);
      return c.json(view(p.eventKind, p.channel, p.locale, undefined, (await defaultsFor(em, centerId))(p.eventKind)), 200);
    })
    .openapi(previewTemplate, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const p = c.req.valid('param');
      const input = c.req.valid('json');
      const appointment = await em.findOne(Appointment, { centerId, externalId: input.appointmentId });
      if (!appointment) throw ApiError.unprocessable('appointmentId', `No appointment with id "${input.appointmentId}" in this center.`);
      let template: { subject: string | null; body: string };
      if (input.body !== undefined) {
        checkTemplate(p.eventKind, p.channel, { subject: input.subject, body: input.body });
        template = { subject: p.channel === 'email' ? (input.subject ?? null) : null, body: input.body };
      } else {
        const row = await em.findOne(Template, { centerId, eventKind: p.eventKind, channel: p.channel, locale: p.locale });
        const current = view(p.eventKind, p.channel, p.locale, row ?? undefined, (await defaultsFor(em, centerId))(p.eventKind));
        template = { subject: current.subject, body: current.body };
      }
      const subject = await loadSubject(em, centerId, appointment.id);
      const sample = `${deps.config.PUBLIC_BASE_URL}/l/preview`;
      const setting = await loadEventSetting(em, centerId, p.eventKind);
      // Links and per-event values are examples: a preview must not mint real confirm tokens.
      const rendered = await composeText(em, {
        eventKind: p.eventKind,
        channel: p.channel,
        locale: p.locale,
        subject,
        options: setting.options,
        links: { confirmUrl: () => `${sample}/confirm`, cancelUrl: () => `${sample}/cancel`, unsubscribeUrl: () => `${sample}/unsubscribe` },
        template,
        values: {
          confirmUrl: `${sample}/confirm`,
          cancelUrl: `${sample}/cancel`,
          setupUrl: `${sample}/setup`,
          surveyUrl: `${sample}/survey`,
          unsubscribeUrl: `${sample}/unsubscribe`,
          delayMinutes: p.eventKind === 'alert.delay' ? 15 : null,
          notice: p.eventKind === 'center.notice' ? (p.locale === 'it' ? 'Testo di esempio dell’avviso.' : 'Example notice text.') : null,
          password: p.eventKind === 'password' ? 'Esempio-1234' : null,
        },
      });
      return c.json({ subject: rendered.subject, body: rendered.body, locale: p.locale, channel: p.channel }, 200);
    });
}
