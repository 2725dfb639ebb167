import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { keyRing, type SecretKey } from '../keyring.js';
import { MessageSecret } from './entities/index.js';

export interface StashedSecret {
  password?: string;
  setupUrl?: string;
}

/**
 * B7: the API leaves a password / set-up link here and hands the engine only the row id; the send
 * activity reads it (peek) and deletes the row in the statement that marks the message sent, so
 * the secret lives in one encrypted row for at most its time to live and never in Temporal
 * history, logs or the stored message text.
 */
export function createSecretStash(deps: { orm: MikroORM; key: string | readonly SecretKey[] }) {
  // Each configured secret yields its own AES key; the ciphertext is `{keyId}:{base64}` so a rotated
  // ring still opens what the older key sealed. Rows sealed before key ids (bare base64) try every key.
  const ring = keyRing(deps.key);
  const aesKeys = new Map(ring.all.map((k) => [k.id, Buffer.from(hkdfSync('sha256', k.secret, 'message-secrets', 'aes-256-gcm', 32))]));
  const seal = (secret: StashedSecret) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', aesKeys.get(ring.current.id)!, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(secret), 'utf8'), cipher.final()]);
    return `${ring.current.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  };
  const openWith = (key: Buffer, raw: Buffer): StashedSecret => {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as StashedSecret;
  };
  const open = (sealed: string): StashedSecret | null => {
    const colon = sealed.indexOf(':');
    const raw = Buffer.from(sealed.slice(colon + 1), 'base64');
    const candidates = colon < 0 ? [...aesKeys.values()] : [aesKeys.get(sealed.slice(0, colon))].filter((k) => k !== undefined);
    for (const key of candidates) {
      try {
        return openWith(key, raw);
      } catch {
        // wrong key: the GCM tag does not verify; try the next one
      }
    }
    return null; // sealed under a key no longer configured: as if expired
  };
  return {
    async put(input: { centerId: string; secret: StashedSecret; expiresAt: Date }): Promise<string> {
      const em = deps.orm.em.fork();
      const row = em.create(MessageSecret, { centerId: input.centerId, ciphertext: seal(input.secret), expiresAt: input.expiresAt });
      await em.flush();
      return row.id;
    },
    /** Reads without removing (rendering may be retried until the send succeeds). */
    async peek(em: EntityManager, centerId: string, id: string): Promise<StashedSecret | null> {
      const row = await em.findOne(MessageSecret, { id, centerId, expiresAt: { $gt: new Date() } });
      return row ? open(row.ciphertext) : null;
    },
    /** Expired secrets whose message never went out. */
    async purgeExpired(em: EntityManager, now = new Date()): Promise<number> {
      return em.nativeDelete(MessageSecret, { expiresAt: { $lte: now } });
    },
  };
}

export type SecretStash = ReturnType<typeof createSecretStash>;
