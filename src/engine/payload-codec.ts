import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
// The CommonJS namespace object: Node's ESM loader cannot see `temporal` as a named export
// (vitest can, so only a real `node --import tsx src/worker.ts` shows the difference).
import proto from '@temporalio/proto';

const { temporal } = proto;
import { keyRing, type SecretKey } from '../keyring.js';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * X7: AES-256-GCM for every Temporal payload (inputs, results, signals, memos, failure details):
 * the server and its Web UI hold only ciphertext, with the key id in the payload's metadata. The
 * first key of the ring encrypts, every key decrypts what it encrypted, so keys rotate like the
 * link keys (src/keyring.ts). Search attributes are not payloads the server may not read: they
 * stay ids only, as before.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current: SecretKey;
  private readonly keys: Map<string, Buffer>;

  constructor(keys: readonly SecretKey[]) {
    const ring = keyRing(keys);
    this.current = ring.current;
    this.keys = new Map(ring.all.map((k) => [k.id, Buffer.from(hkdfSync('sha256', k.secret, 'temporal-payloads', 'aes-256-gcm', 32))]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.current.id)!, iv);
      const body = Buffer.concat([cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()), cipher.final()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8(ENCODING), [KEY_ID]: utf8(this.current.id) },
        data: Buffer.concat([iv, cipher.getAuthTag(), body]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCODING) return payload; // written before encryption was on
      const keyId = Buffer.from(payload.metadata?.[KEY_ID] ?? new Uint8Array()).toString();
      const key = this.keys.get(keyId);
      if (!key) throw new ValueError(`payload encrypted with key "${keyId}", which is not configured`);
      const raw = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return temporal.api.common.v1.Payload.decode(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]));
    });
  }
}
