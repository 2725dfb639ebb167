import { z } from '@hono/zod-openapi';
import { DateTime } from 'luxon';
import { isPhoneCountry } from '../domain/destinations.js';
import { CHANNELS, EVENT_KINDS, LOCALES } from '../domain/events.js';

/** Shared request pieces: one definition of what a phone, a time zone or an external id is. */

export const e164 = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number, e.g. +393331234567')
  .openapi({ example: '+393331234567' });

/**
 * One email syntax for the check and the document (zod's own check is stricter than the JSON
 * Schema `email` format, so a client generated from the document would be surprised).
 */
const EMAIL = /^[A-Za-z0-9_'+-]+(\.[A-Za-z0-9_'+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
export const email = z
  .string()
  .max(254)
  .regex(EMAIL, 'must be a valid email address')
  .refine((v) => v.indexOf('@') <= 64, 'must have at most 64 characters before the @')
  .openapi({ format: 'email', example: 'maria.rossi@example.com', description: 'name@domain.tld: letters, digits and _ \' + - in dot-separated parts before the @.' });

/** The IANA zones this runtime knows, listed in the document as one named enum. */
const IANA_ZONES = [...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])].filter((zone) => DateTime.local().setZone(zone).isValid);
export const timeZone = z
  .enum(IANA_ZONES as [string, ...string[]], { error: 'must be an IANA time zone, e.g. Europe/Rome' })
  .openapi('TimeZone', { example: 'Europe/Rome' });

// Spelled as one regular expression (k digits, then the first letter) so the document states it.
const ALPHANUMERIC_SENDER = Array.from({ length: 11 }, (_, k) => `[0-9]{${k}}[A-Za-z][A-Za-z0-9]{0,${10 - k}}`).join('|');
/** A3: alphanumeric sender id (≤ 11 characters, at least one letter) or a phone number. */
export const smsSenderId = z
  .string()
  .regex(
    new RegExp(`^(\\+[1-9][0-9]{6,14}|${ALPHANUMERIC_SENDER})$`),
    'must be alphanumeric, at most 11 characters with at least one letter, or an E.164 number',
  )
  .openapi({ example: 'StudioRossi' });

/** Where a center's SMS and calls may go: a country with a telephone calling code. */
export const countryCode = z
  .string()
  .refine(isPhoneCountry, 'must be an ISO 3166 alpha-2 country code with a telephone calling code, e.g. IT')
  .openapi({ example: 'IT' });

/**
 * What the document promises of an http(s) URL, and the check holds it to: a host name (its
 * last label starts with a letter) or an IPv4 address, an optional port, then path, query and
 * fragment in the characters RFC 3986 allows. ASCII only: an international host goes in its
 * punycode form. No user:password@ part.
 */
const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const PORT = '([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';
const HOST = `((${LABEL}\\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?|${OCTET}(\\.${OCTET}){3})`;
const HTTP_URL = new RegExp(`^https?://${HOST}(:${PORT})?([/?#][A-Za-z0-9\\-._~:/?#[\\]@!$&'()*+,;=%]*)?$`);
const urlOf = (maxLength: number) =>
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(maxLength)
    .regex(HTTP_URL, 'must be an http(s) URL of the characters RFC 3986 allows (punycode for an international host)')
    .openapi({ pattern: HTTP_URL.source });
export const httpUrl = urlOf(2000);
/** A URL kept in a varchar(255) column (the center's website, its callback URL). */
export const shortHttpUrl = urlOf(255);

/** PostgreSQL `integer` columns: a larger number is a 400 naming the field, not a database error. */
export const INT32_MAX = 2_147_483_647;

/** The booking system's own id of a patient, resource, service, location or appointment. */
export const externalId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain letters, digits and . _ : - only');

export const idParam = z.strictObject({ id: externalId.openapi({ param: { name: 'id', in: 'path' } }) });

/** Ids this service generates (alerts, messages, keys): anything else is simply not found. */
export const uuidParam = z.strictObject({ id: z.string().max(100).openapi({ param: { name: 'id', in: 'path' } }) });

/**
 * Dates and date-times are accepted in the years 1900–2199 only: anything else is a typo or a
 * probe, and some date arithmetic (Date.UTC maps years < 100 to 19xx) would go wrong on it.
 */
export const YEARS = { min: 1900, max: 2199 } as const;
const YEAR_PREFIX = '^(19|2[01])[0-9]{2}-';
const yearInRange = (iso: string) => {
  const year = Number(iso.slice(0, 4));
  return year >= YEARS.min && year <= YEARS.max;
};
const yearMessage = `must be in the years ${YEARS.min} to ${YEARS.max}`;

export const isoDateTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time with offset, e.g. 2026-12-01T09:00:00+01:00' })
  .refine(yearInRange, yearMessage)
  .openapi({ pattern: YEAR_PREFIX, description: `Years ${YEARS.min}–${YEARS.max}.` });

export const day = z.iso.date('must be a date yyyy-mm-dd').refine(yearInRange, yearMessage).openapi({ pattern: YEAR_PREFIX });

/** A query bound: a whole day (yyyy-mm-dd) or an instant. */
export const dateOrDateTime = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be a date yyyy-mm-dd or an ISO-8601 date-time' })
  .refine(yearInRange, yearMessage)
  .openapi({ pattern: YEAR_PREFIX });

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
  413: problem('The body is larger than the API accepts (256 KiB by default).'),
  422: problem('Well-formed input that refers to something that does not exist, conflicts with a rule, reuses an Idempotency-Key, or does not fit its field.'),
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
    .openapi({ param: { name: 'idempotency-key', in: 'header' }, description: 'Idempotency-Key: repeat a POST safely for 24 hours; the first answer is replayed (X5), without any API key it showed.' }),
});
