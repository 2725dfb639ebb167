import { z } from '@hono/zod-openapi';
import { Service } from '../../db/entities/index.js';
import type { RouteDeps } from '../deps.js';
import { directoryRoutes, stamp, timestamps } from './directory.js';

/** A price as a decimal string with at most two decimals ("80", "80.5", "80.50") or a number. */
const price = z
  .union([z.number().min(0).max(99_999_999), z.string().regex(/^\d{1,8}(\.\d{1,2})?$/, 'must be a price like 80.00')])
  .transform((v) => Number(v).toFixed(2))
  .openapi({ example: '80.00' });

const body = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    price: price.nullish(),
    durationMinutes: z.number().int().min(1).max(24 * 60).nullish(),
    preparation: z.string().max(5000).nullish().openapi({ description: 'A4-prep: preparation instructions (TRD23).' }),
    sendPreparation: z.boolean().default(false).openapi({ description: 'A4-prep: TRD23 renders the preparation only when true.' }),
    memoEnabled: z.boolean().default(true).openapi({ description: 'D1: false = nothing about this service’s appointments is sent.' }),
    recallIntervalDays: z.number().int().min(1).max(3650).nullish().openapi({ description: 'B2-recall: this service’s own interval.' }),
  })
  .openapi('ServiceInput');

const view = z
  .object({
    id: z.string(),
    name: z.string(),
    price: z.string().nullable(),
    durationMinutes: z.number().int().nullable(),
    preparation: z.string().nullable(),
    sendPreparation: z.boolean(),
    memoEnabled: z.boolean(),
    recallIntervalDays: z.number().int().nullable(),
    ...timestamps,
  })
  .openapi('Service');

export function serviceRoutes(_deps: RouteDeps) {
  return directoryRoutes({
    path: 'services',
    tag: 'Services',
    noun: 'Service',
    entity: Service,
    body,
    view,
    toView: (s: Service) => ({
      id: s.externalId,
      name: s.name,
      price: s.price === null ? null : Number(s.price).toFixed(2),
      durationMinutes: s.durationMinutes,
      preparation: s.preparation,
      sendPreparation: s.sendPreparation,
      memoEnabled: s.memoEnabled,
      recallIntervalDays: s.recallIntervalDays,
      ...stamp(s),
    }),
    assign: (s, b) => {
      s.name = b.name;
      s.price = b.price ?? null;
      s.durationMinutes = b.durationMinutes ?? null;
      s.preparation = b.preparation ?? null;
      s.sendPreparation = b.sendPreparation;
      s.memoEnabled = b.memoEnabled;
      s.recallIntervalDays = b.recallIntervalDays ?? null;
    },
  });
}
