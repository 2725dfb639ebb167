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
  },
});
