import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { PLACEHOLDER_GROUP_LABELS, PLACEHOLDER_GROUPS, PLACEHOLDERS } from '../../domain/placeholders.js';
import { requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { bearer, errorResponses, json } from '../schemas.js';

const text = z.object({ it: z.string(), en: z.string() });

const legend = z
  .object({
    groups: z.array(z.object({ group: z.enum(PLACEHOLDER_GROUPS), label: text })),
    data: z.array(
      z.object({
        tag: z.string().openapi({ example: '[TRD3]' }),
        group: z.enum(PLACEHOLDER_GROUPS),
        description: text,
        events: z.array(z.string()).nullable().openapi({ description: 'The events that have a value for it; null = all.' }),
        isLink: z.boolean().openapi({ description: 'Links cannot be used in voice templates.' }),
      }),
    ),
  })
  .openapi('PlaceholderLegend');

const getLegend = createRoute({
  method: 'get',
  path: '/placeholders',
  tags: ['Templates'],
  summary: 'A4-tags: the placeholder legend, in Italian and English',
  security: bearer,
  middleware: [requireScope('booking')],
  responses: { 200: json(legend, 'The legend'), ...errorResponses },
});

export function placeholderRoutes(_deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>().openapi(getLegend, (c) =>
    c.json(
      {
        groups: PLACEHOLDER_GROUPS.map((group) => ({ group, label: PLACEHOLDER_GROUP_LABELS[group] })),
        data: PLACEHOLDERS.map((p) => ({ tag: p.tag, group: p.group, description: p.description, events: p.events ? [...p.events] : null, isLink: p.isLink })),
      },
      200,
    ),
  );
}
