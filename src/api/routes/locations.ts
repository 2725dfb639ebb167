import { z } from '@hono/zod-openapi';
import { Location } from '../../db/entities/index.js';
import type { RouteDeps } from '../deps.js';
import { e164 } from '../schemas.js';
import { directoryRoutes, stamp, timestamps } from './directory.js';

const body = z
  .strictObject({
    site: z.string().trim().min(1).max(200).openapi({ description: 'TRD27: the site ("sede") name.' }),
    locality: z.string().max(200).nullish(),
    phone: e164.nullish(),
    address: z.string().max(255).nullish(),
    notes: z.string().max(5000).nullish().openapi({ description: 'A4-site: e.g. "please register at reception" (TRD24).' }),
  })
  .openapi('LocationInput');

const view = z
  .object({
    id: z.string(),
    site: z.string(),
    locality: z.string().nullable(),
    phone: z.string().nullable(),
    address: z.string().nullable(),
    notes: z.string().nullable(),
    ...timestamps,
  })
  .openapi('Location');

export function locationRoutes(_deps: RouteDeps) {
  return directoryRoutes({
    path: 'locations',
    tag: 'Locations',
    noun: 'Location',
    entity: Location,
    body,
    view,
    toView: (l: Location) => ({
      id: l.externalId,
      site: l.site,
      locality: l.locality,
      phone: l.phone,
      address: l.address,
      notes: l.notes,
      ...stamp(l),
    }),
    assign: (l, b) => {
      l.site = b.site;
      l.locality = b.locality ?? null;
      l.phone = b.phone ?? null;
      l.address = b.address ?? null;
      l.notes = b.notes ?? null;
    },
  });
}
