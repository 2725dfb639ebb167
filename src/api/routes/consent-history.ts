import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { CONSENT_ACTORS, CONSENT_FIELDS, ConsentChange, Patient } from '../../db/entities/index.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { findPage, pageOf, pageQuery } from '../pagination.js';
import { ApiError } from '../problem.js';
import { bearer, errorResponses, idParam, json } from '../schemas.js';

const changeView = z
  .object({
    field: z.enum(CONSENT_FIELDS).openapi({ description: 'privacy_consent (C2-privacy), channel_preference (C2-pref) or opt_out (X1, per channel).' }),
    channel: z.string().nullable().openapi({ description: 'The channel of an opt-out / opt-in.' }),
    from: z.string().nullable(),
    to: z.string().nullable(),
    actor: z.enum(CONSENT_ACTORS).openapi({ description: 'api_key (the booking system or an admin), patient (STOP, a link) or platform.' }),
    apiKeyId: z.string().nullable().openapi({ description: 'The key that made the change, when actor is api_key or platform.' }),
    via: z.string().openapi({ description: 'api, sms_reply, email_link, list_unsubscribe, erasure.' }),
    at: z.string(),
  })
  .openapi('ConsentChange');

const history = createRoute({
  method: 'get',
  path: '/patients/{id}/consent-history',
  tags: ['Patients'],
  summary: 'X7: every change of the patient’s privacy consent, channel preference and opt-outs, newest first',
  security: bearer,
  middleware: [requireScope('admin')],
  request: { params: idParam, query: z.strictObject(pageQuery) },
  responses: { 200: json(pageOf(changeView, 'ConsentChangePage'), 'A page of consent changes'), ...errorResponses },
});

export function consentHistoryRoutes(_deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>().openapi(history, async (c) => {
    const centerId = callerCenterId(c.var.caller);
    const patient = await c.var.em.findOne(Patient, { centerId, externalId: c.req.valid('param').id }, { fields: ['id'] });
    if (!patient) throw ApiError.notFound('Patient');
    const page = await findPage(c.var.em, ConsentChange, { centerId, patientId: patient.id }, c.req.valid('query'), (rows) =>
      rows.map((r) => ({
        field: r.field,
        channel: r.channel,
        from: r.oldValue,
        to: r.newValue,
        actor: r.actor,
        apiKeyId: r.actorId,
        via: r.via,
        at: r.createdAt.toISOString(),
      })),
    );
    return c.json(page, 200);
  });
}
