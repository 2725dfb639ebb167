import { swaggerUI } from '@hono/swagger-ui';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { NotFoundError, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Engine } from '../engine/port.js';
import type { PayloadCodec } from '@temporalio/common';
import { authenticate, createApiKeyCache } from './auth.js';
import { codecServer } from './codec-server.js';
import type { ApiEnv } from './context.js';
import type { RouteDeps, SecretStash } from './deps.js';
import { ApiError, fieldErrors, problemResponse } from './problem.js';
import { createTokenBuckets, defaultRateLimit, rateLimit, type RateLimitOptions } from './rate-limit.js';
import { alertRoutes } from './routes/alerts.js';
import { appointmentRoutes } from './routes/appointments.js';
import { centerRoutes } from './routes/center.js';
import { consentHistoryRoutes } from './routes/consent-history.js';
import { erasureRoutes } from './routes/erasure.js';
import { creditRoutes } from './routes/credits.js';
import { locationRoutes } from './routes/locations.js';
import { patientRoutes } from './routes/patients.js';
import { resourceRoutes } from './routes/resources.js';
import { serviceRoutes } from './routes/services.js';
import { eventSettingRoutes } from './routes/event-settings.js';
import { messageRoutes } from './routes/messages.js';
import { passwordMessageRoutes } from './routes/password-messages.js';
import { placeholderRoutes } from './routes/placeholders.js';
import { platformRoutes } from './routes/platform.js';
import { templateRoutes } from './routes/templates.js';
import { unitOfWork } from './unit-of-work.js';

export interface AppDeps {
  orm: MikroORM;
  engine: Engine;
  config: Pick<Config, 'PLATFORM_API_KEY' | 'PUBLIC_BASE_URL'>;
  now?: () => Date;
  logger?: Logger;
  /** Per-key token bucket; defaults to 200 burst, 50/s (API_RATE_LIMIT_BURST, API_RATE_LIMIT_PER_SECOND). */
  rateLimit?: RateLimitOptions;
  /**
   * How long a center key found in the database is trusted without asking again (API_KEY_CACHE_SECONDS);
   * a key revoked through another API process keeps working here for at most that long (one revoked
   * through this process stops at once). Default 5; 0 = ask every time.
   */
  apiKeyCacheSeconds?: number;
  /** Largest accepted request body; default 256 KiB. */
  bodyLimitBytes?: number;
  /**
   * Sub-apps of src/api/webhooks/ (Twilio callbacks, confirm links, tracking pixel,
   * unsubscribe). They do their own authentication (signatures, signed tokens): no API key,
   * no rate limit, no /v1 unit of work.
   */
  webhooks?: {
    /** Mounted at /webhooks (Twilio status callbacks, SMS replies, voice keypresses). */
    webhooks?: Hono;
    /** Mounted at /l (confirm/cancel links, tracking pixel, unsubscribe). */
    links?: Hono;
  };
  /** B7: where password / set-up-link secrets wait for their one message. */
  secrets?: SecretStash;
  /** X7: with payload encryption on, the codec server at /codec for the Temporal Web UI (platform key). */
  codec?: { codec: PayloadCodec; corsOrigins: readonly string[] };
}

export type App = OpenAPIHono<ApiEnv>;

/** Same as the config default of API_KEY_CACHE_SECONDS. */
const DEFAULT_API_KEY_CACHE_SECONDS = 5;
export type { SecretStash } from './deps.js';
export type { RateLimitOptions } from './rate-limit.js';

/** The whole HTTP surface: /v1 REST API, /openapi.json, /docs, /healthz, and the webhook sub-apps. */
export function createApp(deps: AppDeps): App {
  const now = deps.now ?? (() => new Date());
  const apiKeys = createApiKeyCache({ ttlMs: (deps.apiKeyCacheSeconds ?? DEFAULT_API_KEY_CACHE_SECONDS) * 1000, maxEntries: 1000 }, () => now().getTime());
  const routeDeps: RouteDeps = { engine: deps.engine, now, config: deps.config, logger: deps.logger, secrets: deps.secrets, forgetApiKey: apiKeys.forget };
  const app = new OpenAPIHono<ApiEnv>({
    // Every validation failure (body, query, path, header) becomes one 400 naming the fields.
    defaultHook: (result) => {
      if (!result.success) throw ApiError.validation(fieldErrors(result.error));
    },
  });

  app.onError((error, c) => toProblem(error, c, deps.logger));
  app.notFound((c) => problemResponse(c, 404, `No route for ${c.req.method} ${c.req.path}.`));

  app.get('/healthz', async (c) => {
    try {
      await deps.orm.em.fork().execute('select 1');
      return c.json({ status: 'ok' }, 200);
    } catch (error) {
      deps.logger?.error({ error: error instanceof Error ? error.name : 'unknown' }, 'health check: database unreachable');
      return problemResponse(c, 503, 'The database is not reachable.');
    }
  });

  // ---- Webhook sub-apps (owned by src/api/webhooks/): mounted here, before the /v1 guards. ----
  if (deps.webhooks?.webhooks) app.route('/webhooks', deps.webhooks.webhooks);
  if (deps.webhooks?.links) app.route('/l', deps.webhooks.links);
  if (deps.codec) app.route('/codec', codecServer({ ...deps.codec, platformKey: deps.config.PLATFORM_API_KEY }));
  // ---------------------------------------------------------------------------------------------

  const buckets = createTokenBuckets(deps.rateLimit ?? defaultRateLimit, () => now().getTime());
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: deps.bodyLimitBytes ?? 256 * 1024,
      onError: (c) => problemResponse(c, 413, `The request body is larger than ${deps.bodyLimitBytes ?? 256 * 1024} bytes.`),
    }),
  );
  app.use('/v1/*', async (c, next) => {
    c.set('em', deps.orm.em.fork());
    await next();
  });
  if (deps.logger) {
    const logger = deps.logger;
    app.use('/v1/*', async (c, next) => {
      const started = performance.now();
      await next();
      // Route pattern, not the concrete path: no external ids in logs.
      logger.info({ method: c.req.method, route: c.req.routePath, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
    });
  }

  app.use('/v1/*', authenticate(deps.config.PLATFORM_API_KEY, apiKeys));
  app.use('/v1/*', rateLimit(buckets));
  app.use('/v1/*', unitOfWork());
  app
    .route('/v1', platformRoutes(routeDeps))
    .route('/v1', centerRoutes(routeDeps))
    .route('/v1', eventSettingRoutes(routeDeps))
    .route('/v1', templateRoutes(routeDeps))
    .route('/v1', placeholderRoutes(routeDeps))
    .route('/v1', patientRoutes(routeDeps))
    .route('/v1', consentHistoryRoutes(routeDeps))
    .route('/v1', erasureRoutes(routeDeps))
    .route('/v1', resourceRoutes(routeDeps))
    .route('/v1', serviceRoutes(routeDeps))
    .route('/v1', locationRoutes(routeDeps))
    .route('/v1', appointmentRoutes(routeDeps))
    .route('/v1', alertRoutes(routeDeps))
    .route('/v1', messageRoutes(routeDeps))
    .route('/v1', creditRoutes(routeDeps))
    .route('/v1', passwordMessageRoutes(routeDeps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: `booking` (directory, appointments, alerts), `admin` (everything of its center) or the platform key.',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Clinic communications API',
      version: '1.0.0',
      description: 'Booking systems push their directory and appointments; clinic admins configure messages and read the summary. Errors are application/problem+json.',
    },
    servers: [{ url: deps.config.PUBLIC_BASE_URL }],
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));
  return app;
}

function toProblem(error: Error, c: Context, logger: Logger | undefined): Response {
  if (error instanceof ApiError) return problemResponse(c, error.status, error.detail, error.errors, error.headers);
  if (error instanceof NotFoundError) return problemResponse(c, 404, 'Not found.');
  if (error instanceof UniqueConstraintViolationException) {
    return problemResponse(c, 409, 'A concurrent request changed the same thing; retry.');
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const detail = status === 400 && /JSON/i.test(error.message) ? 'The body is not valid JSON.' : error.message || 'Request rejected.';
    return problemResponse(c, status, detail, status === 400 ? [{ field: '(body)', message: detail }] : undefined);
  }
  // Name and route only: driver errors quote the failing SQL with its values (patient data).
  logger?.error({ error: error.name, route: c.req.routePath, method: c.req.method }, 'unhandled error');
  return problemResponse(c, 500, 'Something went wrong on our side.');
}
