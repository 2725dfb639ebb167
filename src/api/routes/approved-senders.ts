import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { approvedSendersOf, isApproved } from '../../domain/approved-senders.js';
import { requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { bearer, e164, email, errorResponses, json, jsonBody, smsSenderId, unprocessableResponse } from '../schemas.js';
import { existingCenter } from './platform.js';

/**
 * A3: the platform decides which senders a center may use (verified email domains or addresses,
 * SMS sender IDs and numbers it rents or has registered, voice numbers). A center admin can then
 * pick among them with `PATCH /v1/center`; anything else is refused there (422).
 */

const domain = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'must be a domain name, e.g. clinic.example');

const approvedSendersBody = z
  .strictObject({
    emailAddresses: z.array(email).max(50),
    emailDomains: z.array(domain).max(20).openapi({ description: 'Verified domains: any From address at them may be used.' }),
    smsSenderIds: z.array(smsSenderId).max(20),
    voiceNumbers: z.array(e164).max(20),
  })
  .openapi('ApprovedSenders');

const approvedSendersView = approvedSendersBody
  .extend({
    cleared: z
      .array(z.enum(['emailFromAddress', 'smsSenderId', 'voiceCallerNumber']))
      .openapi({ description: 'Senders the center was using that are no longer approved: they were unset (the platform default applies).' }),
  })
  .openapi('ApprovedSendersResult');

const centerIdParam = z.strictObject({ centerId: z.string().max(100).openapi({ param: { name: 'centerId', in: 'path' } }) });

const getApproved = createRoute({
  method: 'get',
  path: '/centers/{centerId}/approved-senders',
  tags: ['Platform'],
  summary: 'A3: the senders a center may use',
  security: bearer,
  middleware: [requireScope('platform')],
  request: { params: centerIdParam },
  responses: { 200: json(approvedSendersBody, 'The approved senders'), ...errorResponses },
});

const putApproved = createRoute({
  method: 'put',
  path: '/centers/{centerId}/approved-senders',
  tags: ['Platform'],
  summary: 'A3: set the senders a center may use; a sender in use that is no longer approved is unset',
  security: bearer,
  middleware: [requireScope('platform')],
  request: { params: centerIdParam, body: jsonBody(approvedSendersBody) },
  responses: { 200: json(approvedSendersView, 'The approved senders'), ...errorResponses, ...unprocessableResponse },
});

export function approvedSenderRoutes(_deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>()
    .openapi(getApproved, async (c) => {
      const center = await existingCenter(c.var.em, c.req.valid('param').centerId);
      return c.json(approvedSendersOf(center.approvedSenders), 200);
    })
    .openapi(putApproved, async (c) => {
      const center = await existingCenter(c.var.em, c.req.valid('param').centerId, true);
      const approved = c.req.valid('json');
      center.approvedSenders = approved;
      const cleared: ('emailFromAddress' | 'smsSenderId' | 'voiceCallerNumber')[] = [];
      for (const field of ['emailFromAddress', 'smsSenderId', 'voiceCallerNumber'] as const) {
        const value = center[field];
        if (value !== null && !isApproved(field, value, approved)) {
          center[field] = null;
          cleared.push(field);
        }
      }
      await c.var.em.flush();
      return c.json({ ...approved, cleared }, 200);
    });
}
