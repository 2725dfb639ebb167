import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

/** The local stack's own secrets: generated once, kept in a git-ignored file, never a deployment's. */
const localSecretsSchema = z.object({
  PLATFORM_API_KEY: z.string().min(24),
  LINK_SIGNING_SECRET: z.string().min(32),
  /** Added with key ids; a file from before gets one on the next start. */
  MESSAGE_SECRET_KEY: z.string().min(32),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-f]{32}$/),
  TWILIO_AUTH_TOKEN: z.string().min(16),
});
export type LocalSecrets = z.infer<typeof localSecretsSchema>;

export function generateLocalSecrets(): LocalSecrets {
  return {
    PLATFORM_API_KEY: `ck_platform_${randomBytes(24).toString('base64url')}`,
    LINK_SIGNING_SECRET: randomBytes(32).toString('base64url'),
    MESSAGE_SECRET_KEY: randomBytes(32).toString('base64url'),
    TWILIO_ACCOUNT_SID: `AC${randomBytes(16).toString('hex')}`,
    TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
  };
}

/** Reads `file`, or creates it (mode 0600) on the first start, so restarts reuse the same secrets. */
export function loadOrCreateLocalSecrets(file: string): { secrets: LocalSecrets; created: boolean } {
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const added = stored.MESSAGE_SECRET_KEY === undefined;
    const parsed = localSecretsSchema.safeParse(added ? { ...stored, MESSAGE_SECRET_KEY: generateLocalSecrets().MESSAGE_SECRET_KEY } : stored);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
      throw new Error(`${file} is not valid (${fields}); delete it to generate new local secrets`);
    }
    if (added) writeSecrets(file, parsed.data);
    return { secrets: parsed.data, created: false };
  }
  const secrets = generateLocalSecrets();
  writeSecrets(file, secrets);
  return { secrets, created: true };
}

function writeSecrets(file: string, secrets: LocalSecrets): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
