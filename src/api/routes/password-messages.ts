import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import { Patient, Resource } from '../../db/entities/index.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { enqueueCommands } from '../../db/outbox.js';
import { ApiError } from '../problem.js';
import { requireRef } from '../refs.js';
import { bearer, errorResponses, externalId, httpUrl, idempotencyHeaders, json, jsonBody, notImplementedResponse, unprocessableResponse } from '../schemas.js';

/** How long a stashed secret waits for its message before it is thrown away. */
const SECRET_TTL_MS = 24 * 60 * 60 * 1000;

const input = z
  .strictObject({
    recipient: z.enum(['patient', 'resource']),
    id: externalId.openapi({ description: 'The booking system’s patient or resource id.' }),
    setupUrl: httpUrl.optional().openapi({ description: 'An account set-up / password reset link ([SETUP_URL]).' }),
    password: z.string().min(1).max(200).optional().openapi({ description: 'A password ([PASSWORD]); never stored in clear or logged.' }),
  })
  .refine((b) => b.setupUrl !== undefined || b.password !== undefined, { path: ['setupUrl'], message: 'give setupUrl, password or both' })
  // The document states the rule above: at least one of the two.
  .openapi('PasswordMessageInput', { anyOf: [{ required: ['setupUrl'] }, { required: ['password'] }] });

const sendPasswordMessage = createRoute({
  method: 'post',
  path: '/password-messages',
  tags: ['Password messages'],
  summary: 'B7: send a patient or a resource their password or set-up link (template event `password`)',
  security: bearer,
  middleware: [requireScope('booking')],
  request: { headers: idempotencyHeaders, body: jsonBody(input) },
  responses: {
    202: json(z.object({ requestId: z.uuid(), recipient: z.enum(['patient', 'resource']), id: z.string() }), 'Accepted; the message shows in /v1/messages'),
    ...errorResponses,
    ...unprocessableResponse,
    ...notImplementedResponse,
  },
});

export function passwordMessageRoutes(deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>().openapi(sendPasswordMessage, async (c) => {
    const em = c.var.em;
    const centerId = callerCenterId(c.var.caller);
    const body = c.req.valid('json');
    const recipientId = await requireRef(em, body.recipient === 'patient' ? Patient : Resource, centerId, body.id, 'id');
    if (!deps.engine.sendPasswordMessage || !deps.secrets) throw new ApiError(501, 'Password messages are not available in this deployment.');
    const secret = { ...(body.password !== undefined ? { password: body.password } : {}), ...(body.setupUrl !== undefined ? { setupUrl: body.setupUrl } : {}) };
    const secretRef = await deps.secrets.put({ centerId, secret, expiresAt: new Date(deps.now().getTime() + SECRET_TTL_MS) });
    const requestId = randomUUID();
    const request = {
      centerId,
      requestId,
      recipientKind: body.recipient,
      recipientId,
      secretRef,
      hasPassword: body.password !== undefined,
      hasSetupUrl: body.setupUrl !== undefined,
    };
    await enqueueCommands(em, [{ type: 'sendPasswordMessage', request }]);
    return c.json({ requestId, recipient: body.recipient, id: body.id }, 202);
  });
}
