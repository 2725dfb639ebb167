import { z } from '@hono/zod-openapi';
import { DateTime } from 'luxon';
import { isPhoneCountry } from '../domain/destinations.js';
import { CHANNELS, EVENT_KINDS, LOCALES } from '../domain/events.js';

/** Shared request pieces: one definition of what a phone, a time zone or an external id is. */

export const e164 = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number, e.g. +393331234567')
  .openapi({ example: '+393331234567' });

export const email = z.email('must be a valid email address').max(254);

const IANA_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
export const timeZone = z
  .string()
  .refine((zone) => IANA_ZONES.has(zone) && DateTime.local().setZone(zone).isValid, 'must be an IANA time zone, e.g. Europe/Rome')
  .openapi({ example: 'Europe/Rome' });

/** A3: alphanumeric sender id (≤ 11 characters, at least one letter) or a phone number. */
export const smsSenderId = z
  .string()
  .refine(
    (v) => /^\+[1-9]\d{6,14}$/.test(v) || (/^[A-Za-z0-9]{1,11}$/.test(v) && /[A-Za-z]/.test(v)),
    'must be alphanumeric, at most 11 characters with at least one letter, or an E.164 number',
  )
  .openapi({ example: 'StudioRossi' });

/** Where a center's SMS and calls may go: a country with a telephone calling code. */
export const countryCode = z
  .string()
  .refine(isPhoneCountry, 'must be an ISO 3166 alpha-2 country code with a telephone calling code, e.g. IT')
  .openapi({ example: 'IT' });

export const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);

/** The booking system's own id of a patient, resource, service, location or appointment. */
export const externalId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain letters, digits and . _ : - only');

export const idParam = z.strictObject({ id: externalId.openapi({ param: { name: 'id', in: 'path' } }) });

/** Ids this service generates (alerts, messages, keys): anything else is simply not found. */
export const uuidParam = z.strictObject({ id: z.string().max(100).openapi({ param: { name: 'id', in: 'path' } }) });

export const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time with offset, e.g. 2026-12-01T09:00:00+01:00' });

export const day = z.iso.date('must be a date yyyy-mm-dd');

export const eventKind = z.enum(EVENT_KINDS);
export const channel = z.enum(CHANNELS);
export const locale = z.enum(LOCALES);

export const isUuid = (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

/** The error answers every /v1 route may give. */
export const errorResponses = {
  400: problem('Invalid input; `errors` names each offending field.'),
  401: problem('No API key, or not a valid one.'),
  403: problem('The key does not have the scope this operation needs.'),
  404: problem('Not found in the caller’s center.'),
  429: problem('Rate limit exceeded; see Retry-After.'),
} as const;

export const conflictResponse = { 409: problem('Conflicts with the current state.') } as const;
export const unprocessableResponse = { 422: problem('Refers to something that does not exist, or a reused Idempotency-Key.') } as const;
export const notImplementedResponse = { 501: problem('Not available in this deployment.') } as const;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const bearer = [{ bearer: [] }];

/** X5: documented on every POST; the unit of work reads and enforces it. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ param: { name: 'idempotency-key', in: 'header' }, description: 'Idempotency-Key: repeat a POST safely, the first answer is replayed (X5).' }),
});
