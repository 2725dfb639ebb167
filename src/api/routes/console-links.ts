import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { issueConsoleLink } from '../../db/console-sessions.js';
import { requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { answerOnce } from '../idempotency.js';
import { bearer, errorResponses, json, jsonBody, unprocessableResponse } from '../schemas.js';
import { existingCenter } from './platform.js';

const issueLink = createRoute({
  method: 'post',
  path: '/console-links',
  tags: ['Platform'],
  summary: '#14: a short-lived, single-use link that signs a staff member into the center’s web console',
  description: 'The booking platform signs its staff in without a new password: open the link in the staff member’s browser within 10 minutes, once.',
  security: bearer,
  middleware: [requireScope('platform')],
  request: {
    body: jsonBody(
      z.strictObject({ centerId: z.uuid(), staffName: z.string().trim().min(1).max(100).openapi({ description: 'Shown in the console; not a patient’s.' }) }).openapi('NewConsoleLink'),
    ),
  },
  responses: {
    201: json(z.object({ url: z.string().optional().openapi({ description: 'Shown once, in this answer only.' }), expiresAt: z.string() }).openapi('ConsoleLink'), 'The link'),
    ...errorResponses,
    ...unprocessableResponse,
  },
});

export function consoleLinkRoutes(deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>().openapi(issueLink, async (c) => {
    const body = c.req.valid('json');
    const center = await existingCenter(c.var.em, body.centerId);
    const url = await consoleLinkUrl(c.var.em, deps.config.PUBLIC_BASE_URL, { centerId: center.id, staffName: body.staffName, now: deps.now() });
    answerOnce(c, { expiresAt: url.expiresAt }); // a replay never shows the token again
    return c.json(url, 201);
  });
}

/** Also used by `npm start` to print a link for the demo center. */
export async function consoleLinkUrl(
  em: ApiEnv['Variables']['em'],
  publicBaseUrl: string,
  input: { centerId: string; staffName: string; now: Date },
): Promise<{ url: string; expiresAt: string }> {
  const link = await issueConsoleLink(em, input);
  return { url: `${publicBaseUrl.replace(/\/$/, '')}/console/enter?token=${link.token}`, expiresAt: link.expiresAt.toISOString() };
}

/** `npm start` prints one for the demo center. */
export function demoConsoleLink(em: ApiEnv['Variables']['em'], publicBaseUrl: string, centerId: string) {
  return consoleLinkUrl(em, publicBaseUrl, { centerId, staffName: 'Demo staff', now: new Date() });
}
