import { z } from '@hono/zod-openapi';
import { Resource } from '../../db/entities/index.js';
import type { RouteDeps } from '../deps.js';
import { e164, email, locale } from '../schemas.js';
import { directoryRoutes, stamp, timestamps } from './directory.js';

const body = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    address: z.string().max(255).nullish(),
    phone: e164.nullish(),
    mobile: e164.nullish(),
    email: email.nullish(),
    locale: locale.nullish(),
    memoEnabled: z.boolean().default(true).openapi({ description: 'C1: false = nothing about this resource’s appointments is sent.' }),
  })
  .openapi('ResourceInput');

const view = z
  .object({
    id: z.string(),
    name: z.string(),
    address: z.string().nullable(),
    phone: z.string().nullable(),
    mobile: z.string().nullable(),
    email: z.string().nullable(),
    locale: locale.nullable(),
    memoEnabled: z.boolean(),
    ...timestamps,
  })
  .openapi('Resource');

export function resourceRoutes(_deps: RouteDeps) {
  return directoryRoutes({
    path: 'resources',
    tag: 'Resources',
    noun: 'Resource',
    entity: Resource,
    body,
    view,
    toView: (r: Resource) => ({
      id: r.externalId,
      name: r.name,
      address: r.address,
      phone: r.phone,
      mobile: r.mobile,
      email: r.email,
      locale: r.locale,
      memoEnabled: r.memoEnabled,
      ...stamp(r),
    }),
    assign: (r, b) => {
      r.name = b.name;
      r.address = b.address ?? null;
      r.phone = b.phone ?? null;
      r.mobile = b.mobile ?? null;
      r.email = b.email ?? null;
      r.locale = b.locale ?? null;
      r.memoEnabled = b.memoEnabled;
    },
  });
}
