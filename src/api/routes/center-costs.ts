import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Center } from '../../db/entities/index.js';
import { allowedPhoneCountries } from '../../domain/destinations.js';
import { requireScope } from '../auth.js';
import type { ApiEnv } from '../context.js';
import type { RouteDeps } from '../deps.js';
import { bearer, countryCode, errorResponses, json, jsonBody } from '../schemas.js';
import { existingCenter } from './platform.js';

/**
 * What a center's messages cost and where and how many may go: the platform's, not the
 * center's (issue 9). An admin key cannot reach these routes; PATCH /v1/center refuses the fields.
 */

const price = z.number().int().min(0).max(10_000);

const costsView = z
  .object({
    centerId: z.uuid(),
    prices: z.object({ email: z.number().int(), smsSegment: z.number().int(), voice: z.number().int() }).openapi({ description: 'F1: credits per message (SMS per segment).' }),
    country: z.string().openapi({ description: 'The center’s country: SMS and calls go there when no list is set.' }),
    phoneCountries: z.array(z.string()).nullable().openapi({ description: 'Countries SMS and calls may go to; null = the center’s country only.' }),
    effectivePhoneCountries: z.array(z.string()),
    dailyPhoneCap: z.number().int().openapi({ description: 'SMS + voice messages per day (center time zone); the ones beyond are skipped with reason `daily_cap`, not debited, and the admins are told once (B6).' }),
  })
  .openapi('CenterCosts');

const costsPatch = z
  .strictObject({
    prices: z.strictObject({ email: price, smsSegment: price, voice: price }).partial(),
    country: countryCode,
    phoneCountries: z
      .array(countryCode)
      .min(1)
      .max(50)
      .refine((list) => new Set(list).size === list.length, 'must not repeat a country')
      .nullable(),
    dailyPhoneCap: z.number().int().min(0).max(1_000_000),
  })
  .partial()
  .openapi('CenterCostsPatch');

const params = z.strictObject({ centerId: z.string().max(100).openapi({ param: { name: 'centerId', in: 'path' } }) });
const platformOnly = [requireScope('platform')];

const toView = (c: Center): z.infer<typeof costsView> => ({
  centerId: c.id,
  prices: { email: c.priceEmail, smsSegment: c.priceSmsSegment, voice: c.priceVoice },
  country: c.country,
  phoneCountries: c.phoneCountries,
  effectivePhoneCountries: [...allowedPhoneCountries(c)],
  dailyPhoneCap: c.dailyPhoneCap,
});

const getCosts = createRoute({
  method: 'get',
  path: '/centers/{centerId}/costs',
  tags: ['Platform'],
  summary: 'A center’s prices, allowed SMS / voice countries and daily cap',
  security: bearer,
  middleware: platformOnly,
  request: { params },
  responses: { 200: json(costsView, 'The center’s costs and limits'), ...errorResponses },
});

const patchCosts = createRoute({
  method: 'patch',
  path: '/centers/{centerId}/costs',
  tags: ['Platform'],
  summary: 'Change a center’s prices, allowed SMS / voice countries or daily cap (platform only)',
  security: bearer,
  middleware: platformOnly,
  request: { params, body: jsonBody(costsPatch) },
  responses: { 200: json(costsView, 'The costs and limits after the change'), ...errorResponses },
});

export function centerCostRoutes(_deps: RouteDeps) {
  return new OpenAPIHono<ApiEnv>()
    .openapi(getCosts, async (c) => c.json(toView(await existingCenter(c.var.em, c.req.valid('param').centerId)), 200))
    .openapi(patchCosts, async (c) => {
      const center = await existingCenter(c.var.em, c.req.valid('param').centerId);
      const p = c.req.valid('json');
      if (p.prices?.email !== undefined) center.priceEmail = p.prices.email;
      if (p.prices?.smsSegment !== undefined) center.priceSmsSegment = p.prices.smsSegment;
      if (p.prices?.voice !== undefined) center.priceVoice = p.prices.voice;
      if (p.country !== undefined) center.country = p.country;
      if (p.phoneCountries !== undefined) center.phoneCountries = p.phoneCountries;
      if (p.dailyPhoneCap !== undefined) center.dailyPhoneCap = p.dailyPhoneCap;
      await c.var.em.flush();
      return c.json(toView(center), 200);
    });
}
