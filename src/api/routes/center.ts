import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { approvedSendersOf, unapprovedSenders } from '../../domain/approved-senders.js';
import { Center } from '../../db/entities/index.js';
import { MESSAGE_RETENTION, messageRetentionDays } from '../../domain/retention.js';
import { allowedPhoneCountries } from '../../domain/destinations.js';
import { callbackUrlProblem } from '../../domain/outbound-address.js';
import { requireScope, callerCenterId } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { announcePolicyChange } from '../../db/outbox.js';
import { ApiError, fieldErrors } from '../problem.js';
import { bearer, e164, email, errorResponses, json, jsonBody, locale, shortHttpUrl, smsSenderId, timeZone, unprocessableResponse } from '../schemas.js';

export const centerView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    phone: z.string().nullable(),
    website: z.string().nullable(),
    timeZone: z.string(),
    locale: locale,
    currency: z.string(),
    communicationsEnabled: z.boolean().openapi({ description: 'A1 master switch: off = nothing at all is sent; scheduled work is kept.' }),
    privacyRequired: z.boolean().openapi({ description: 'C2-privacy: send only to patients with privacy consent.' }),
    readTracking: z.boolean().openapi({ description: 'A4-read: record email opens with a tracking pixel.' }),
    messageRetentionDays: z.number().int().openapi({ description: 'X7: days after which message texts and addresses are redacted (metadata stays).' }),
    adminEmails: z.array(z.string()).openapi({ description: 'B6: who receives the center notices.' }),
    senders: z.object({
      emailFromName: z.string().nullable(),
      emailFromAddress: z.string().nullable(),
      emailReplyTo: z.string().nullable(),
      smsSenderId: z.string().nullable(),
      voiceCallerNumber: z.string().nullable(),
    }),
    prices: z.object({ email: z.number().int(), smsSegment: z.number().int(), voice: z.number().int() }).openapi({ description: 'F1: credits per message; set by the platform.' }),
    limits: z
      .object({ phoneCountries: z.array(z.string()), dailyPhoneCap: z.number().int() })
      .openapi({ description: 'Set by the platform: the countries SMS and calls may go to, and how many a day.' }),
    lowCreditThreshold: z.number().int(),
    creditBalance: z.number().int(),
    callback: z.object({ url: z.string().nullable(), secretSet: z.boolean() }).openapi({ description: 'X4: signed webhooks to the booking system.' }),
  })
  .openapi('Center');

export const centerPatch = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    phone: e164.nullable(),
    website: shortHttpUrl.nullable(),
    timeZone,
    locale,
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code, e.g. EUR'),
    communicationsEnabled: z.boolean(),
    privacyRequired: z.boolean(),
    readTracking: z.boolean(),
    messageRetentionDays: z
      .number()
      .int()
      .min(MESSAGE_RETENTION.minDays)
      .max(MESSAGE_RETENTION.maxDays)
      .nullable()
      .openapi({ description: `X7: ${MESSAGE_RETENTION.minDays}–${MESSAGE_RETENTION.maxDays} days; null = the platform default (${MESSAGE_RETENTION.defaultDays}).` }),
    adminEmails: z.array(email).max(20),
    senders: z
      .strictObject({
        emailFromName: z.string().trim().min(1).max(100).nullable(),
        emailFromAddress: email.nullable(),
        emailReplyTo: email.nullable(),
        smsSenderId: smsSenderId.nullable(),
        voiceCallerNumber: e164.nullable(),
      })
      .partial(),
    lowCreditThreshold: z.number().int().min(0).max(1_000_000),
    callback: z
      .strictObject({
        url: shortHttpUrl.nullable(),
        secret: z.string().min(16, 'must be at least 16 characters').max(200).nullable().openapi({ description: 'Write-only HMAC key.' }),
      })
      .partial(),
  })
  .partial()
  .openapi('CenterPatch');

export function centerToView(c: Center): z.infer<typeof centerView> {
  return {
    id: c.id,
    name: c.name,
    phone: c.phone,
    website: c.website,
    timeZone: c.timeZone,
    locale: c.locale,
    currency: c.currency,
    communicationsEnabled: c.communicationsEnabled,
    privacyRequired: c.privacyRequired,
    readTracking: c.readTracking,
    messageRetentionDays: messageRetentionDays(c.messageRetentionDays),
    adminEmails: c.adminEmails,
    senders: {
      emailFromName: c.emailFromName,
      emailFromAddress: c.emailFromAddress,
      emailReplyTo: c.emailReplyTo,
      smsSenderId: c.smsSenderId,
      voiceCallerNumber: c.voiceCallerNumber,
    },
    prices: { email: c.priceEmail, smsSegment: c.priceSmsSegment, voice: c.priceVoice },
    limits: { phoneCountries: [...allowedPhoneCountries(c)], dailyPhoneCap: c.dailyPhoneCap },
    lowCreditThreshold: c.lowCreditThreshold,
    creditBalance: c.creditBalance,
    callback: { url: c.callbackUrl, secretSet: c.callbackSecret !== null },
  };
}

export async function loadCenter(em: EntityManager, centerId: string, lock = false): Promise<Center> {
  const center = await em.findOne(Center, centerId, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!center) throw ApiError.notFound('Center');
  return center;
}

/** Pure: applies a validated patch; returns whether scheduling depends on what changed (X3). */
export function applyCenterPatch(c: Center, p: z.infer<typeof centerPatch>): { affectsScheduling: boolean } {
  const before = [c.timeZone, c.communicationsEnabled, c.privacyRequired].join('|');
  if (p.name !== undefined) c.name = p.name;
  if (p.phone !== undefined) c.phone = p.phone;
  if (p.website !== undefined) c.website = p.website;
  if (p.timeZone !== undefined) c.timeZone = p.timeZone;
  if (p.locale !== undefined) c.locale = p.locale;
  if (p.currency !== undefined) c.currency = p.currency;
  if (p.communicationsEnabled !== undefined) c.communicationsEnabled = p.communicationsEnabled;
  if (p.privacyRequired !== undefined) c.privacyRequired = p.privacyRequired;
  if (p.readTracking !== undefined) c.readTracking = p.readTracking;
  if (p.messageRetentionDays !== undefined) c.messageRetentionDays = p.messageRetentionDays;
  if (p.adminEmails !== undefined) c.adminEmails = p.adminEmails;
  const s = p.senders ?? {};
  if (s.emailFromName !== undefined) c.emailFromName = s.emailFromName;
  if (s.emailFromAddress !== undefined) c.emailFromAddress = s.emailFromAddress;
  if (s.emailReplyTo !== undefined) c.emailReplyTo = s.emailReplyTo;
  if (s.smsSenderId !== undefined) c.smsSenderId = s.smsSenderId;
  if (s.voiceCallerNumber !== undefined) c.voiceCallerNumber = s.voiceCallerNumber;
  if (p.lowCreditThreshold !== undefined) c.lowCreditThreshold = p.lowCreditThreshold;
  if (p.callback?.url !== undefined) c.callbackUrl = p.callback.url;
  if (p.callback?.secret !== undefined) c.callbackSecret = p.callback.secret;
  return { affectsScheduling: before !== [c.timeZone, c.communicationsEnabled, c.privacyRequired].join('|') };
}

/** What the platform sets (PATCH /v1/centers/{centerId}/costs): an admin naming one is refused, 403. */
const PLATFORM_FIELDS = ['prices', 'country', 'phoneCountries', 'dailyPhoneCap'];

/** The body's validation hook (in place of the app's default one): platform fields first, 403; the rest, 400. */
function refusePlatformFields(result: { success: true } | { success: false; error: ZodError }): undefined {
  if (result.success) return undefined;
  const named = result.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys : []));
  const refused = named.filter((k) => PLATFORM_FIELDS.includes(k));
  if (refused.length === 0) throw ApiError.validation(fieldErrors(result.error));
  const message = 'is set by the platform, not by the center (PATCH /v1/centers/{centerId}/costs with the platform key)';
  throw new ApiError(403, `${refused.join(', ')} ${message}.`, refused.map((field) => ({ field, message })));
}

const getCenter = createRoute({
  method: 'get',
  path: '/center',
  tags: ['Center'],
  summary: 'The caller’s center settings (A1, A3, A4-read, B6, C2, F1, X4)',
  security: bearer,
  middleware: [requireScope('admin')],
  responses: { 200: json(centerView, 'The center'), ...errorResponses },
});

const patchCenter = createRoute({
  method: 'patch',
  path: '/center',
  tags: ['Center'],
  summary: 'Change some center settings; scheduled messages are re-planned when it matters (X3)',
  security: bearer,
  middleware: [requireScope('admin')],
  // An empty patch (or none) changes nothing and answers the settings.
  request: { body: { ...jsonBody(centerPatch), required: false } },
  responses: { 200: json(centerView, 'The center after the change'), ...errorResponses, ...unprocessableResponse },
});

export function centerRoutes(deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>()
    .openapi(getCenter, async (c) => {
      const center = await loadCenter(c.var.em, callerCenterId(c.var.caller));
      return c.json(centerToView(center), 200);
    })
    .openapi(
      patchCenter,
      async (c) => {
        const em = c.var.em;
        const center = await loadCenter(em, callerCenterId(c.var.caller), true);
        const patch = c.req.valid('json');
        const { affectsScheduling } = applyCenterPatch(center, patch);
        const urlProblem = patch.callback?.url ? callbackUrlProblem(patch.callback.url, { allowLoopback: deps.config.CALLBACK_ALLOW_LOOPBACK === true }) : null;
        if (urlProblem) throw ApiError.unprocessable('callback.url', `callback.url ${urlProblem} (X4).`);
        // A3: only senders the platform approved; a value already in use stays (it was approved, or predates approvals).
        const [unapproved] = unapprovedSenders(center, approvedSendersOf(center.approvedSenders)).filter((field) => patch.senders?.[field] !== undefined);
        if (unapproved) {
          throw ApiError.unprocessable(`senders.${unapproved}`, 'is not one of the senders the platform approved for this center (GET /v1/centers/{centerId}/approved-senders).');
        }
        if (center.callbackUrl !== null && center.callbackSecret === null) {
          throw ApiError.unprocessable('callback.secret', 'A callback URL needs a secret to sign the callbacks (X4).');
        }
        await em.flush();
        if (affectsScheduling) await announcePolicyChange(em, center.id);
        return c.json(centerToView(center), 200);
      },
      refusePlatformFields,
    );
}
