import { z } from 'zod';
import { keyRing, parseKeyList, type SecretKey } from './keyring.js';

/**
 * The one configuration object, read from the environment once at start-up.
 * Secrets have no defaults: the local stack (`npm start`) generates and prints its own.
 */
const secret = (min: number) => z.string().min(min, `must be at least ${min} characters`);
/** `id:secret,id:secret`, newest first (src/keyring.ts). */
const keyList = (min: number) =>
  z.string().transform((text, ctx) => {
    const parsed = parseKeyList(text, min);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return parsed;
  });
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  /** Connections per process; a worker runs many activities at once (alert fan-outs, reminder bursts). */
  DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(200).default(20),
  /**
   * Connections a worker keeps open while idle (at most DATABASE_POOL_MAX), so that a burst at a
   * due time does not first reconnect what the pool closed while everything slept.
   */
  WORKER_DATABASE_POOL_MIN: z.coerce.number().int().min(0).max(200).default(10),
  /**
   * #13: emails prepared ahead go out from the worker's dispatcher at their due time, this many in
   * flight at once over the pooled transport; 0 = no dispatcher in this worker (its workflows
   * then send them themselves at the due time).
   */
  EMAIL_DISPATCH_CONCURRENCY: z.coerce.number().int().min(0).max(1000).default(50),

  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('comms'),
  /** The Temporal Web UI's base URL (e.g. http://127.0.0.1:8233): timeline answers link to the workflow there. */
  TEMPORAL_UI_URL: z.string().url().optional(),
  /**
   * Sleeping appointments kept in the worker's memory; the others are replayed from their short
   * history when they wake. Bounds worker memory however many appointments are booked. Size it
   * at least at the number of appointments that can wake together (all reminders due in the same
   * few minutes): past it every wake-up of a burst replays, and the burst collapses (#13). About
   * 0.2–0.4 MiB of worker memory per cached appointment.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(5000),
  /**
   * How long a workflow task may wait on this worker's own (sticky) queue before the server hands
   * it to any worker, which must then replay the history. The SDK's 10 s made a busy worker's
   * burst fall back and replay (#13). The price: a task already queued for a worker that died
   * waits up to this long before another worker runs it (tasks made later go to the shared queue
   * once the server has seen no poll from the dead worker for about 10 s).
   */
  WORKER_STICKY_TIMEOUT_SECONDS: z.coerce.number().positive().default(60),
  /** A pre-built workflow bundle (`npm run build:workflows`); unset = bundle at start. */
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  /** The worker's health check (`GET /healthz` on this port, all interfaces); unset = none. */
  WORKER_HEALTH_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Per-sender limit of SMS + voice sends, all workers together (X9); they run on the queue `{TEMPORAL_TASK_QUEUE}-phone`. */
  PHONE_MESSAGES_PER_SECOND: z.coerce.number().positive().default(10),

  API_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** The address the API listens on: all interfaces (a container), or 127.0.0.1 (the local stack). */
  API_HOST: z.string().min(1).default('0.0.0.0'),
  /** Public URL of the API as patients and Twilio reach it (links, webhooks, signatures). */
  PUBLIC_BASE_URL: z.url().transform((u) => u.replace(/\/+$/, '')),
  PLATFORM_API_KEY: secret(24),
  /** Per-key token bucket of the REST API, per API process: sustained requests per second… */
  API_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(50),
  /** …and the burst a key may send at once. */
  API_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(200),
  /** How long an API process trusts a key it found without asking the database again; a key revoked through another API process works here at most this long. 0 = no cache. */
  API_KEY_CACHE_SECONDS: z.coerce.number().min(0).max(300).default(5),
  /** Keys of the public links (confirm, cancel, unsubscribe, pixel), `id:secret,…` newest first: the first signs, all verify. */
  LINK_SIGNING_KEYS: keyList(32).optional(),
  /** Keys of the B7 password / set-up secrets at rest, `id:secret,…` newest first: the first encrypts, all decrypt. */
  MESSAGE_SECRET_KEYS: keyList(32).optional(),
  /** Before key ids: one secret for both (key id `0`). Used only where the lists above are unset. */
  LINK_SIGNING_SECRET: secret(32).optional(),
  /** X7: set = every Temporal payload is encrypted (AES-256-GCM), `id:secret,…` newest first: the first encrypts, all decrypt. */
  TEMPORAL_PAYLOAD_KEYS: keyList(32).optional(),
  /** Origins allowed to call the codec endpoint from a browser (the Temporal Web UI), comma-separated. */
  CODEC_CORS_ORIGINS: z
    .string()
    .transform((text) => text.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.url()))
    .default([]),

  SMTP_HOST: z.string().min(1),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  SMTP_SECURE: bool.default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASS: z.string().optional(),

  /** Platform senders used when a center has none of its own (A3). */
  DEFAULT_EMAIL_FROM: z.email(),
  DEFAULT_EMAIL_FROM_NAME: z.string().min(1).default('Clinic'),
  DEFAULT_SMS_FROM: z.string().regex(/^(\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11})$/, 'must be an E.164 number or an alphanumeric sender id (max 11)'),
  DEFAULT_VOICE_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number'),
  /** X1 B2-confirm: the platform number that receives SMS replies (default: DEFAULT_SMS_FROM if a number, else DEFAULT_VOICE_FROM). */
  SMS_REPLY_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number').optional(),

  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits'),
  TWILIO_AUTH_TOKEN: secret(16),
  /** Only for tests and the local stack: the Twilio-compatible test server's URL. */
  TWILIO_API_BASE_URL: z.url().optional(),
  /** X4: only the local stack and tests: booking-system callbacks may use http and loopback addresses. */
  CALLBACK_ALLOW_LOOPBACK: bool.default(false),

  /** The worker's Prometheus /metrics port (its counters, the database gauges, the Temporal SDK's metrics); unset = no listener. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Loopback port of the Temporal SDK's own Prometheus exporter, merged into the worker's /metrics; unset = a free port. */
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Set = /metrics (API and worker) answers only `Authorization: Bearer <token>`. */
  METRICS_TOKEN: secret(16).optional(),
  /** Set = traces (API → workflow → activity → provider) go to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  const issues = result.success
    ? []
    : result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(root)'),
        message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
      }));
  issues.push(...missingKeys(env));
  if (result.success && issues.length === 0) return result.data;
  throw new ConfigError(issues);
}

/** The key lists or the legacy single secret: one of them must be set (checked here, so every other variable is still reported). */
function missingKeys(env: Record<string, string | undefined>): { variable: string; message: string }[] {
  if (env.LINK_SIGNING_KEYS === undefined && env.LINK_SIGNING_SECRET === undefined) {
    return [{ variable: 'LINK_SIGNING_KEYS', message: 'is required (or the single LINK_SIGNING_SECRET)' }];
  }
  if (env.MESSAGE_SECRET_KEYS === undefined && env.LINK_SIGNING_SECRET === undefined) {
    return [{ variable: 'MESSAGE_SECRET_KEYS', message: 'is required with LINK_SIGNING_KEYS' }];
  }
  return [];
}

/** The link-signing keys: LINK_SIGNING_KEYS, else the legacy LINK_SIGNING_SECRET as key `0`. */
export function linkSigningKeys(config: Config): readonly SecretKey[] {
  return config.LINK_SIGNING_KEYS ?? legacyKey(config);
}

/** The keys of the B7 secrets at rest: MESSAGE_SECRET_KEYS, else the legacy LINK_SIGNING_SECRET as key `0`. */
export function messageSecretKeys(config: Config): readonly SecretKey[] {
  return config.MESSAGE_SECRET_KEYS ?? legacyKey(config);
}

function legacyKey(config: Config): readonly SecretKey[] {
  if (config.LINK_SIGNING_SECRET === undefined) throw new ConfigError([{ variable: 'LINK_SIGNING_KEYS', message: 'is required' }]);
  return keyRing(config.LINK_SIGNING_SECRET).all;
}
