import { describe, expect, it } from 'vitest';
import { ConfigError, linkSigningKeys, loadConfig, messageSecretKeys } from '../../src/config.js';

/** A complete, valid environment as an operator would set it. */
const validEnv = {
  DATABASE_URL: 'postgres://comms:pw@db.internal:5432/comms',
  PUBLIC_BASE_URL: 'https://comms.example.test/',
  PLATFORM_API_KEY: 'p'.repeat(24),
  LINK_SIGNING_SECRET: 's'.repeat(32),
  SMTP_HOST: 'smtp.example.test',
  DEFAULT_EMAIL_FROM: 'noreply@example.test',
  DEFAULT_SMS_FROM: 'Clinic',
  DEFAULT_VOICE_FROM: '+390212345678',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 't'.repeat(32),
};

function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config: one validated object from env, secrets only from env (Security)', () => {
  it('config: a missing DATABASE_URL is a ConfigError naming it', () => {
    const { DATABASE_URL: _omitted, ...env } = validEnv;
    const error = configErrorOf(env);
    expect(error.issues).toEqual([{ variable: 'DATABASE_URL', message: 'is required' }]);
    expect(error.message).toContain('DATABASE_URL: is required');
  });

  it('config: a DATABASE_URL that is not postgres:// is named', () => {
    expect(configErrorOf({ ...validEnv, DATABASE_URL: 'mysql://x/y' }).issues.map((i) => i.variable)).toEqual(['DATABASE_URL']);
  });

  it('config: a malformed TWILIO_ACCOUNT_SID is named with what it should look like', () => {
    const error = configErrorOf({ ...validEnv, TWILIO_ACCOUNT_SID: 'AC123' });
    expect(error.issues).toEqual([{ variable: 'TWILIO_ACCOUNT_SID', message: expect.stringContaining('AC followed by 32 hex digits') }]);
  });

  it('config: short secrets are rejected, each one named', () => {
    const error = configErrorOf({ ...validEnv, PLATFORM_API_KEY: 'short', LINK_SIGNING_SECRET: '12345678', TWILIO_AUTH_TOKEN: 'abc' });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(['LINK_SIGNING_SECRET', 'PLATFORM_API_KEY', 'TWILIO_AUTH_TOKEN']);
    expect(error.message).toMatch(/PLATFORM_API_KEY: must be at least 24 characters/);
    expect(error.message).toMatch(/LINK_SIGNING_SECRET: must be at least 32 characters/);
  });

  it('config: secrets have no defaults — an empty environment names every required variable', () => {
    const issues = configErrorOf({}).issues;
    expect(issues.map((i) => i.variable)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'PLATFORM_API_KEY', 'LINK_SIGNING_KEYS', 'TWILIO_AUTH_TOKEN', 'TWILIO_ACCOUNT_SID', 'SMTP_HOST']),
    );
    expect(issues.every((i) => i.message.startsWith('is required'))).toBe(true);
    // Exactly the variables of the valid environment above are required (the link keys as LINK_SIGNING_KEYS or the single LINK_SIGNING_SECRET).
    expect(issues.map((i) => i.variable.replace('LINK_SIGNING_KEYS', 'LINK_SIGNING_SECRET')).sort()).toEqual(Object.keys(validEnv).sort());
  });

  it('config: DEFAULT_SMS_FROM must be a number or an alphanumeric sender id of at most 11 characters (A3)', () => {
    expect(configErrorOf({ ...validEnv, DEFAULT_SMS_FROM: 'A very long sender' }).issues.map((i) => i.variable)).toEqual(['DEFAULT_SMS_FROM']);
    expect(loadConfig({ ...validEnv, DEFAULT_SMS_FROM: '+393331234567' }).DEFAULT_SMS_FROM).toBe('+393331234567');
  });

  it('config: bad numbers and flags are named (API_PORT, SMTP_SECURE, PHONE_MESSAGES_PER_SECOND)', () => {
    const error = configErrorOf({ ...validEnv, API_PORT: '99999', SMTP_SECURE: 'yes', PHONE_MESSAGES_PER_SECOND: '0' });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(['API_PORT', 'PHONE_MESSAGES_PER_SECOND', 'SMTP_SECURE']);
  });

  it('config: a valid environment parses, with defaults for everything optional', () => {
    const config = loadConfig(validEnv);
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      DATABASE_URL: validEnv.DATABASE_URL,
      TEMPORAL_ADDRESS: 'localhost:7233',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'comms',
      PHONE_MESSAGES_PER_SECOND: 10,
      API_PORT: 3000,
      // Trailing slashes go, so links and webhook signatures are built one way.
      PUBLIC_BASE_URL: 'https://comms.example.test',
      SMTP_HOST: 'smtp.example.test',
      SMTP_PORT: 587,
      SMTP_SECURE: false,
      DEFAULT_EMAIL_FROM_NAME: 'Clinic',
    });
    expect(config.SMTP_USER).toBeUndefined();
    expect(config.TWILIO_API_BASE_URL).toBeUndefined();
  });

  it('config: strings from env become typed values', () => {
    const config = loadConfig({ ...validEnv, API_PORT: '8080', SMTP_PORT: '465', SMTP_SECURE: 'true', PHONE_MESSAGES_PER_SECOND: '2.5' });
    expect([config.API_PORT, config.SMTP_PORT, config.SMTP_SECURE, config.PHONE_MESSAGES_PER_SECOND]).toEqual([8080, 465, true, 2.5]);
  });
});

describe('config: key lists with ids (Security)', () => {
  const { LINK_SIGNING_SECRET: _legacy, ...base } = validEnv;
  const k1 = { id: 'k1', secret: 'first-link-key-0123456789abcdef0123456789' };
  const k2 = { id: 'k2', secret: 'second-link-key-0123456789abcdef012345678' };
  const m1 = { id: 'm1', secret: 'first-message-key-0123456789abcdef01234567' };
  const issuesOf = (env: Record<string, string>) => configErrorOf(env).issues;

  it('config: LINK_SIGNING_KEYS and MESSAGE_SECRET_KEYS are separate rings, newest first', () => {
    const config = loadConfig({ ...base, LINK_SIGNING_KEYS: `${k2.id}:${k2.secret}, ${k1.id}:${k1.secret}`, MESSAGE_SECRET_KEYS: `${m1.id}:${m1.secret}` });
    expect(linkSigningKeys(config)).toEqual([k2, k1]);
    expect(messageSecretKeys(config)).toEqual([m1]);
  });

  it('config: the single LINK_SIGNING_SECRET of before still works, as key 0 of both rings', () => {
    const config = loadConfig({ ...base, LINK_SIGNING_SECRET: k1.secret });
    expect(linkSigningKeys(config)).toEqual([{ id: '0', secret: k1.secret }]);
    expect(messageSecretKeys(config)).toEqual([{ id: '0', secret: k1.secret }]);
  });

  it('config: bad key lists are named without echoing a secret; link keys without message keys are refused', () => {
    const issues = issuesOf({ ...base, LINK_SIGNING_KEYS: `k1:short-secret-9`, MESSAGE_SECRET_KEYS: `m 1:${m1.secret}` });
    expect(issues).toEqual([
      { variable: 'LINK_SIGNING_KEYS', message: 'key k1: the secret must be at least 32 characters' },
      { variable: 'MESSAGE_SECRET_KEYS', message: 'key 1: must be id:secret with an id of 1-16 letters, digits, - or _' },
    ]);
    expect(JSON.stringify(issues)).not.toContain('short-secret-9');
    expect(issuesOf({ ...base, LINK_SIGNING_KEYS: `a:${k1.secret},a:${k2.secret}`, MESSAGE_SECRET_KEYS: `m1:${m1.secret}` })).toEqual([
      { variable: 'LINK_SIGNING_KEYS', message: 'key a: the id is listed twice' },
    ]);
    expect(issuesOf({ ...base, LINK_SIGNING_KEYS: `k1:${k1.secret}` })).toEqual([{ variable: 'MESSAGE_SECRET_KEYS', message: 'is required with LINK_SIGNING_KEYS' }]);
    expect(issuesOf(base)).toEqual([{ variable: 'LINK_SIGNING_KEYS', message: 'is required (or the single LINK_SIGNING_SECRET)' }]);
  });
});
