import { EntitySchema } from '@mikro-orm/core';
import { CenterOwned, centerOwnedProperties } from './base.js';

/** #14: a short-lived, single-use console sign-in link; only the SHA-256 of its token is stored. */
export class ConsoleLink extends CenterOwned {
  tokenHash!: string;
  staffName!: string;
  expiresAt!: Date;
  usedAt: Date | null = null;
}

export const ConsoleLinkSchema = new EntitySchema<ConsoleLink>({
  class: ConsoleLink,
  tableName: 'console_links',
  properties: {
    ...centerOwnedProperties,
    tokenHash: { type: 'string', length: 64, unique: true },
    staffName: { type: 'string', length: 100 },
    expiresAt: { type: 'Date', columnType: 'timestamptz' },
    usedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});

/** #14: a console session; only the SHA-256 of the session id (the cookie) is stored. */
export class ConsoleSession extends CenterOwned {
  sessionHash!: string;
  staffName!: string;
  /** The console's own admin key row of the center: the caller of the /v1 routes it calls in-process. */
  apiKeyId!: string;
  locale!: string;
  lastSeenAt!: Date;
  expiresAt!: Date;
  /** The message summary's filters (E1): kept here so a patient id never goes in a URL while paging. */
  messageFilters: Record<string, string> | null = null;
}

export const ConsoleSessionSchema = new EntitySchema<ConsoleSession>({
  class: ConsoleSession,
  tableName: 'console_sessions',
  properties: {
    ...centerOwnedProperties,
    sessionHash: { type: 'string', length: 64, unique: true },
    staffName: { type: 'string', length: 100 },
    apiKeyId: { kind: 'm:1', entity: 'ApiKey', mapToPk: true, deleteRule: 'cascade', fieldName: 'api_key_id' },
    locale: { type: 'string', length: 2 },
    lastSeenAt: { type: 'Date', columnType: 'timestamptz' },
    expiresAt: { type: 'Date', columnType: 'timestamptz' },
    messageFilters: { type: 'json', nullable: true },
  },
});

/**
 * X3, #14: how far the settings fan-out of one settings version has come, written by the fan-out
 * activity as it pages through the center's open appointments; the console polls it.
 */
export class PolicyFanout extends CenterOwned {
  settingsVersion!: number;
  /** Open appointments when the run started (the ones it will tell). */
  total!: number;
  /** Appointment workflows told so far (a finished workflow has nothing to re-plan and is not counted). */
  signalled!: number;
  finishedAt: Date | null = null;
}

export const PolicyFanoutSchema = new EntitySchema<PolicyFanout>({
  class: PolicyFanout,
  tableName: 'policy_fanouts',
  uniques: [{ properties: ['centerId', 'settingsVersion'] }],
  properties: {
    ...centerOwnedProperties,
    settingsVersion: { type: 'integer' },
    total: { type: 'integer' },
    signalled: { type: 'integer' },
    finishedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
