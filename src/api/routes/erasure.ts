import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { CONSENT_ACTORS, Center, Patient } from '../../db/entities/index.js';
import { erasePatient, type ErasureOutcome } from '../../db/erasure.js';
import { callerCenterId, requireScope } from '../auth.js';
import type { ApiEnv, Caller } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { ApiError } from '../problem.js';
import { bearer, errorResponses, externalId, idempotencyHeaders, isUuid, json, unprocessableResponse } from '../schemas.js';
import { enqueueCommands } from '../../db/outbox.js';

const erasureView = z
  .object({
    patientId: z.string().openapi({ description: 'The booking system’s id (kept so that repeats and the booking system can refer to it).' }),
    erasedAt: z.string(),
    erasedBy: z.object({ actor: z.enum(CONSENT_ACTORS), apiKeyId: z.string().nullable() }),
    messagesRedacted: z.number().int().openapi({ description: 'Messages whose text and address were removed (their metadata stays).' }),
    appointmentsStopped: z.number().int().openapi({ description: 'Appointments whose workflows were told to stop.' }),
    optOutsKept: z.number().int().openapi({ description: 'Opt-outs kept as hashes, so the addresses stay blocked.' }),
  })
  .openapi('PatientErasure');

const description =
  'X7, GDPR art. 17: clears the patient’s personal fields and contacts, removes the text and address of its messages (keeping event, channel, status, credits and times), stops the workflows of its appointments (nothing is sent to it afterwards), keeps its opt-outs as hashes and records who erased it. Repeating it changes nothing and answers the same. A later PUT of the same patient id is refused (409).';

const adminErase = createRoute({
  method: 'post',
  path: '/patients/{id}/erasure',
  tags: ['Patients'],
  summary: 'Erase a patient (GDPR art. 17)',
  description,
  security: bearer,
  middleware: [requireScope('admin')],
  request: { params: z.strictObject({ id: externalId.openapi({ param: { name: 'id', in: 'path' } }) }), headers: idempotencyHeaders },
  responses: { 200: json(erasureView, 'The patient is erased'), ...errorResponses, ...unprocessableResponse },
});

const platformErase = createRoute({
  method: 'post',
  path: '/centers/{centerId}/patients/{id}/erasure',
  tags: ['Platform'],
  summary: 'Erase a patient of a center (GDPR art. 17)',
  description,
  security: bearer,
  middleware: [requireScope('platform')],
  request: {
    params: z.strictObject({
      centerId: z.string().max(100).openapi({ param: { name: 'centerId', in: 'path' } }),
      id: externalId.openapi({ param: { name: 'id', in: 'path' } }),
    }),
    headers: idempotencyHeaders,
  },
  responses: { 200: json(erasureView, 'The patient is erased'), ...errorResponses, ...unprocessableResponse },
});

export function erasureRoutes(deps: RouteDeps) {
  /** Erases and, in the same transaction, tells the engine to stop the patient's appointments (through the outbox). */
  async function erase(em: ApiEnv['Variables']['em'], centerId: string, patientExternalId: string, caller: Caller) {
    const patient = await em.findOne(Patient, { centerId, externalId: patientExternalId }, { fields: ['id'] });
    if (!patient) throw ApiError.notFound('Patient');
    const outcome = await erasePatient(em, {
      centerId,
      patientId: patient.id,
      actor: caller.kind === 'platform' ? 'platform' : 'api_key',
      actorId: caller.keyId,
      at: deps.now(),
    });
    if (!outcome) throw ApiError.notFound('Patient');
    await enqueueCommands(
      em,
      outcome.stoppedAppointmentIds.map((appointmentId) => ({ type: 'appointmentCancelled' as const, centerId, appointmentId, eventId: `erase:${appointmentId}`, reason: 'erased' as const })),
    );
    return toView(patientExternalId, outcome);
  }

  return new OpenAPIHono<ApiEnv>()
    .openapi(adminErase, async (c) => c.json(await erase(c.var.em, callerCenterId(c.var.caller), c.req.valid('param').id, c.var.caller), 200))
    .openapi(platformErase, async (c) => {
      const { centerId, id } = c.req.valid('param');
      const center = isUuid(centerId) ? await c.var.em.findOne(Center, { id: centerId }, { fields: ['id'] }) : null;
      if (!center) throw ApiError.notFound('Center');
      return c.json(await erase(c.var.em, center.id, id, c.var.caller), 200);
    });
}

function toView(patientId: string, { erasure }: ErasureOutcome): z.infer<typeof erasureView> {
  return {
    patientId,
    erasedAt: erasure.createdAt.toISOString(),
    erasedBy: { actor: erasure.actor, apiKeyId: erasure.actorId },
    messagesRedacted: erasure.messagesRedacted,
    appointmentsStopped: erasure.appointmentsStopped,
    optOutsKept: erasure.optOutsKept,
  };
}
