/**
 * Secrets with ids, for rotation: the first key of a ring signs / encrypts and its id travels with
 * the token or ciphertext; every key of the ring still verifies / decrypts what it issued. Rotate by
 * putting a new key first and dropping the old one once nothing it issued is still in use.
 */
export interface SecretKey {
  id: string;
  secret: string;
}

export interface KeyRing {
  /** Signs / encrypts. */
  current: SecretKey;
  /** Newest first; all of them verify / decrypt. */
  all: readonly SecretKey[];
  get(id: string): SecretKey | undefined;
}

/** Key ids are short (they go into every link) and URL-safe. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;

/** The id of the single legacy secret (`LINK_SIGNING_SECRET`), when no ids were configured. */
export const LEGACY_KEY_ID = '0';

/** A ring from a list (newest first), or from one legacy secret. */
export function keyRing(keys: string | readonly SecretKey[]): KeyRing {
  const all = typeof keys === 'string' ? [{ id: LEGACY_KEY_ID, secret: keys }] : keys;
  const current = all[0];
  if (!current) throw new Error('a key ring needs at least one key');
  const byId = new Map(all.map((key) => [key.id, key]));
  return { current, all, get: (id) => byId.get(id) };
}

/**
 * Parses `id:secret,id:secret` (newest first). Returns the keys, or what is wrong with the list
 * (never echoing a secret).
 */
export function parseKeyList(text: string, minSecretLength: number): SecretKey[] | string {
  const items = text.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) return 'must list at least one key as id:secret';
  const keys: SecretKey[] = [];
  for (const [index, item] of items.entries()) {
    const colon = item.indexOf(':');
    const id = colon < 0 ? '' : item.slice(0, colon);
    const secret = colon < 0 ? '' : item.slice(colon + 1);
    if (!KEY_ID_PATTERN.test(id)) return `key ${index + 1}: must be id:secret with an id of 1-16 letters, digits, - or _`;
    if (secret.length < minSecretLength) return `key ${id}: the secret must be at least ${minSecretLength} characters`;
    if (keys.some((key) => key.id === id)) return `key ${id}: the id is listed twice`;
    keys.push({ id, secret });
  }
  return keys;
}
