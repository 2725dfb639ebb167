import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { EventSetting } from '../../db/entities/index.js';
import { EVENT_KINDS, type Channel, type EventKind } from '../../domain/events.js';
import { eventOptionSchemas } from '../../domain/policy.js';
import { loadEventSetting, loadEventSettings, type EffectiveEventSetting } from '../../db/event-settings.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import { announcePolicyChange } from '../../db/outbox.js';
import { ApiError, fieldErrors } from '../problem.js';
import { bearer, channel, errorResponses, eventKind, json, jsonBody } from '../schemas.js';

const settingView = z
  .object({
    eventKind,
    channels: z.array(channel).openapi({ description: 'A2: the channels enabled for this event.' }),
    options: z.record(z.string(), z.unknown()).openapi({ description: 'Typed per event kind (lead times, sending hours, …); defaults filled in.' }),
    custom: z.boolean().openapi({ description: 'false = the built-in defaults apply.' }),
  })
  .openapi('EventSetting');

type SettingView = z.infer<typeof settingView>;

function toView(kind: EventKind, setting: EffectiveEventSetting<EventKind>): SettingView {
  return { eventKind: kind, channels: setting.channels, options: setting.options as Record<string, unknown>, custom: setting.custom };
}

const kindParam = z.strictObject({ eventKind: eventKind.openapi({ param: { name: 'eventKind', in: 'path' } }) });
const adminOnly = [requireScope('admin')];

const listSettings = createRoute({
  method: 'get',
  path: '/event-settings',
  tags: ['Event settings'],
  summary: 'Channels and options of every event kind (A2, B) — a fixed set of 13, not paged',
  security: bearer,
  middleware: adminOnly,
  responses: { 200: json(z.object({ data: z.array(settingView) }), 'Every event kind'), ...errorResponses },
});

const getSetting = createRoute({
  method: 'get',
  path: '/event-settings/{eventKind}',
  tags: ['Event settings'],
  summary: 'Channels and options of one event kind',
  security: bearer,
  middleware: adminOnly,
  request: { params: kindParam },
  responses: { 200: json(settingView, 'The event setting'), ...errorResponses },
});

const putSetting = createRoute({
  method: 'put',
  path: '/event-settings/{eventKind}',
  tags: ['Event settings'],
  summary: 'Replace the channels and options of one event kind; scheduled messages are re-planned (X3)',
  security: bearer,
  middleware: adminOnly,
  request: {
    params: kindParam,
    body: jsonBody(
      z
        .strictObject({
          channels: z.array(channel).max(3).refine((a) => new Set(a).size === a.length, 'must not repeat a channel'),
          options: z.record(z.string(), z.unknown()).default({}).openapi({ description: 'Omitted fields take their defaults.' }),
        })
        .openapi('EventSettingInput'),
    ),
  },
  responses: { 200: json(settingView, 'The event setting after the change'), ...errorResponses },
});

export function eventSettingRoutes() {
  return new OpenAPIHono<ApiEnv>()
    .openapi(listSettings, async (c) => {
      const settingOf = await loadEventSettings(c.var.em, callerCenterId(c.var.caller), EVENT_KINDS);
      return c.json({ data: EVENT_KINDS.map((kind) => toView(kind, settingOf(kind))) }, 200);
    })
    .openapi(getSetting, async (c) => {
      const kind = c.req.valid('param').eventKind;
      return c.json(toView(kind, await loadEventSetting(c.var.em, callerCenterId(c.var.caller), kind)), 200);
    })
    .openapi(putSetting, async (c) => {
      const em = c.var.em;
      const centerId = callerCenterId(c.var.caller);
      const kind = c.req.valid('param').eventKind;
      const body = c.req.valid('json');
      const options = eventOptionSchemas[kind].safeParse(body.options);
      if (!options.success) throw ApiError.validation(fieldErrors(options.error, ['options']));
      const channels = body.channels as Channel[];
      const row = (await em.findOne(EventSetting, { centerId, eventKind: kind })) ?? em.create(EventSetting, { centerId, eventKind: kind });
      row.channels = channels;
      row.options = options.data as Record<string, unknown>;
      await em.flush();
      await announcePolicyChange(em, centerId);
      return c.json(toView(kind, { channels: row.channels, options: options.data, custom: true }), 200);
    });
}
