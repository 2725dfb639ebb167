import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Engine } from '../engine/port.js';

/**
 * B7: where the API leaves a password or set-up link for the one message that carries it,
 * getting back an opaque reference for the engine (the secret never enters Temporal history).
 * Absent: POST /v1/password-messages answers 501.
 */
export interface SecretStash {
  put(input: { centerId: string; secret: { password?: string; setupUrl?: string }; expiresAt: Date }): Promise<string>;
}

/** What the resource sub-apps need; built once by createApp. */
export interface RouteDeps {
  engine: Engine;
  now: () => Date;
  config: Pick<Config, 'PLATFORM_API_KEY' | 'PUBLIC_BASE_URL'> & Partial<Pick<Config, 'CALLBACK_ALLOW_LOOPBACK' | 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>>;
  logger?: Logger | undefined;
  secrets?: SecretStash | undefined;
  /** Revoking a key drops it from the API-key cache. */
  forgetApiKey: (keyId: string) => void;
}
