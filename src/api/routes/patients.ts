import { z } from '@hono/zod-openapi';
import { recordConsentChange } from '../../db/consent-audit.js';
import { Patient } from '../../db/entities/index.js';
import { CHANNEL_PREFERENCES } from '../../domain/events.js';
import type { RouteDeps } from '../deps.js';
import { ApiError } from '../problem.js';
import { e164, email, locale } from '../schemas.js';
import { directoryRoutes, stamp, timestamps } from './directory.js';

const body = z
  .strictObject({
    firstName: z.string().trim().min(1).max(200),
    lastName: z.string().trim().max(200).nullish(),
    mobile: e164.nullish(),
    landline: e164.nullish(),
    email: email.nullish(),
    address: z.string().max(255).nullish(),
    locale: locale.nullish(),
    channelPreference: z
      .enum(CHANNEL_PREFERENCES)
      .nullish()
      .openapi({ description: 'C2-pref: the one channel the patient wants (or none); null = the center’s channels.' }),
    privacyConsent: z.boolean().default(false).openapi({ description: 'C2-privacy consent.' }),
    hasPassword: z.boolean().default(false).openapi({ description: 'B2-recall: false = recalls may carry a set-up link.' }),
  })
  .openapi('PatientInput');

const view = z
  .object({
    id: z.string().openapi({ description: 'The booking system’s id.' }),
    firstName: z.string(),
    lastName: z.string().nullable(),
    mobile: z.string().nullable(),
    landline: z.string().nullable(),
    email: z.string().nullable(),
    address: z.string().nullable(),
    locale: locale.nullable(),
    channelPreference: z.enum(CHANNEL_PREFERENCES).nullable(),
    privacyConsent: z.boolean(),
    hasPassword: z.boolean(),
    optedOutChannels: z.array(z.string()).openapi({ description: 'X1: channels the patient stopped (STOP / unsubscribe).' }),
    erasedAt: z.string().nullable().openapi({ description: 'X7: when the patient was erased (its personal fields are then empty).' }),
    ...timestamps,
  })
  .openapi('Patient');

export function patientRoutes(_deps: RouteDeps) {
  return directoryRoutes({
    path: 'patients',
    tag: 'Patients',
    noun: 'Patient',
    entity: Patient,
    body,
    view,
    toView: (p: Patient) => ({
      id: p.externalId,
      firstName: p.firstName,
      lastName: p.lastName,
      mobile: p.mobile,
      landline: p.landline,
      email: p.email,
      address: p.address,
      locale: p.locale,
      channelPreference: p.channelPreference,
      privacyConsent: p.privacyConsent,
      hasPassword: p.hasPassword,
      optedOutChannels: p.optedOutChannels,
      erasedAt: p.erasedAt?.toISOString() ?? null,
      ...stamp(p),
    }),
    assign: (p, b) => {
      // X7: an erased patient stays erased; the booking system pushes a returning person under a new id.
      if (p.erasedAt) throw new ApiError(409, 'This patient was erased (GDPR art. 17) and cannot be written again; use a new patient id.');
      p.firstName = b.firstName;
      p.lastName = b.lastName ?? null;
      p.mobile = b.mobile ?? null;
      p.landline = b.landline ?? null;
      p.email = b.email ?? null;
      p.address = b.address ?? null;
      p.locale = b.locale ?? null;
      p.channelPreference = b.channelPreference ?? null;
      p.privacyConsent = b.privacyConsent;
      p.hasPassword = b.hasPassword;
    },
    // X7: a consent or preference the booking system changed, with the key that changed it.
    onReplaced: async (em, { before, after, caller, at }) => {
      const actor = { actor: caller.kind === 'platform' ? 'platform' : 'api_key', actorId: caller.keyId, via: 'api', at } as const;
      const base = { centerId: after.centerId, patientId: after.id, ...actor };
      if ((before?.privacyConsent ?? null) !== after.privacyConsent) {
        await recordConsentChange(em, { ...base, field: 'privacy_consent', oldValue: before?.privacyConsent ?? null, newValue: after.privacyConsent });
      }
      if (before ? before.channelPreference !== after.channelPreference : after.channelPreference !== null) {
        await recordConsentChange(em, { ...base, field: 'channel_preference', oldValue: before?.channelPreference ?? null, newValue: after.channelPreference });
      }
    },
  });
}
