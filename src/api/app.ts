import { OpenAPIHono } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { NotFoundError, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import type { Engine } from '../engine/port.js';
import type { PayloadCodec } from '@temporalio/common';
import { authenticate, createApiKeyCache } from './auth.js';
import { codecServer } from './codec-server.js';
import { createAuthThrottle, defaultAuthThrottle, type AuthThrottleOptions } from './auth-throttle.js';
import type { ApiEnv } from './context.js';
import type { RouteDeps, SecretStash } from './deps.js';
import { badDataDetail } from './bad-data.js';
import { mountDocs } from './docs.js';
import { documentNoNul, rejectNul } from './input-guard.js';
import { ApiError, fieldErrors, problemResponse } from './problem.js';
import { createTokenBuckets, defaultRateLimit, rateLimit, type RateLimitOptions } from './rate-limit.js';
import { alertRoutes } from './routes/alerts.js';
import { appointmentBatchRoutes } from './routes/appointment-batch.js';
import { appointmentRoutes, PUT_IN_ONE_STATEMENT } from './routes/appointments.js';
import { approvedSenderRoutes } from './routes/approved-senders.js';
import { centerRoutes } from './routes/center.js';
import { consentHistoryRoutes } from './routes/consent-history.js';
import { erasureRoutes } from './routes/erasure.js';
import { centerCostRoutes } from './routes/center-costs.js';
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
import { consoleLinkRoutes } from './routes/console-links.js';
import { consoleApp } from '../console/app.js';
import { createIdempotency } from './idempotency.js';
import { unitOfWork } from './unit-of-work.js';
import { outboxBacklog } from '../db/outbox.js';
import type { Tracer } from '@opentelemetry/api';
import { metricsAuthorized, PROMETHEUS_CONTENT_TYPE } from '../telemetry/metrics-server.js';
import { traceRequests } from './request-tracing.js';

export interface AppDeps {
  orm: MikroORM;
  /** Queries only (timeline, alert progress): commands reach the engine through the outbox. */
  engine: Engine;
  config: RouteDeps['config'];
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
  /** Failed authentications per client address before 429 (auth-throttle.ts); default 20 a minute. */
  authThrottle?: AuthThrottleOptions;
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
  /** GET /metrics (Prometheus text); `token`: METRICS_TOKEN, a bearer token the scrape must bring. */
  metrics?: { scrape(): Promise<string>; token?: string | undefined };
  /** Traces on: one server span per request (request-tracing.ts). */
  tracer?: Tracer;
  /** Runs just before a write request commits: fault injection (a slow commit) in tests. */
  beforeCommit?: () => Promise<void>;
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
  let methodsOf: ((path: string) => string[]) | null = null;
  app.notFound((c) => {
    // A known path with another method: 405 with the methods it has (RFC 9110), not 404.
    methodsOf ??= routeMethods(app.routes);
    const allowed = methodsOf(c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) return problemResponse(c, 405, `${c.req.method} is not allowed here; use ${allowed.join(', ')}.`, undefined, { allow: allowed.join(', ') });
    return problemResponse(c, 404, `No route for ${c.req.method} ${c.req.path}.`);
  });

  if (deps.tracer) app.use('*', traceRequests(deps.tracer));
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', async (c) => {
      if (!metricsAuthorized(c.req.header('authorization'), metrics.token)) return problemResponse(c, 401, 'This scrape needs the metrics token.');
      return c.body(await metrics.scrape(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
    });
  }

  app.get('/healthz', async (c) => {
    try {
      // The outbox backlog: engine commands committed but not yet delivered (usually 0).
      const outbox = await outboxBacklog(deps.orm.em.fork());
      return c.json({ status: 'ok', outbox: { pending: outbox.pending, failing: outbox.failing, oldestAt: outbox.oldestAt?.toISOString() ?? null } }, 200);
    } catch (error) {
      deps.logger?.error({ error: error instanceof Error ? error.name : 'unknown' }, 'health check: database unreachable');
      return problemResponse(c, 503, 'The database is not reachable.');
    }
  });

  // Answers that may carry patient data (the API, the pages behind links) are never cached.
  for (const path of ['/v1/*', '/l/*']) {
    app.use(path, async (c, next) => {
      await next();
      c.header('cache-control', 'no-store');
    });
  }

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
  app.use('/v1/*', rejectNul());
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

  app.use('/v1/*', authenticate(deps.config.PLATFORM_API_KEY, apiKeys, createAuthThrottle(deps.authThrottle ?? defaultAuthThrottle, () => now().getTime())));
  app.use('/v1/*', rateLimit(buckets));
  // The Idempotency-Key request hash is keyed by a server secret (idempotency.ts).
  app.use('/v1/*', unitOfWork(createIdempotency(deps.config.PLATFORM_API_KEY), { beforeCommit: deps.beforeCommit, inOneStatement: PUT_IN_ONE_STATEMENT }));
  app
    .route('/v1', platformRoutes(routeDeps))
    .route('/v1', approvedSenderRoutes(routeDeps))
    .route('/v1', centerRoutes(routeDeps))
    .route('/v1', centerCostRoutes(routeDeps))
    .route('/v1', eventSettingRoutes())
    .route('/v1', templateRoutes(routeDeps))
    .route('/v1', placeholderRoutes(routeDeps))
    .route('/v1', patientRoutes(routeDeps))
    .route('/v1', consentHistoryRoutes(routeDeps))
    .route('/v1', erasureRoutes(routeDeps))
    .route('/v1', resourceRoutes(routeDeps))
    .route('/v1', serviceRoutes(routeDeps))
    .route('/v1', locationRoutes(routeDeps))
    .route('/v1', appointmentBatchRoutes(routeDeps))
    .route('/v1', appointmentRoutes(routeDeps))
    .route('/v1', alertRoutes(routeDeps))
    .route('/v1', messageRoutes(routeDeps))
    .route('/v1', creditRoutes(routeDeps))
    .route('/v1', passwordMessageRoutes(routeDeps))
    .route('/v1', consoleLinkRoutes(routeDeps));
  // #14: the clinic's console, a client of the routes above called in-process.
  app.route('/console', consoleApp({ orm: deps.orm, secret: deps.config.PLATFORM_API_KEY, now, fetch: (path, init, env) => app.request(path, init, env) }));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: `booking` (directory, appointments, alerts), `admin` (everything of its center) or the platform key.',
  });
  let document: unknown = null;
  app.get('/openapi.json', (c) => {
    document ??= documentNoNul(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Clinic communications API',
          version: '1.0.0',
          description:
            'Booking systems push their directory and appointments; clinic admins configure messages and read the summary. Errors are application/problem+json. No text may contain a NUL character.',
        },
        servers: [{ url: deps.config.PUBLIC_BASE_URL }],
      }),
    );
    return c.json(document);
  });
  mountDocs(app);
  return app;
}

/** The methods each registered path answers, for 405 and its Allow header. */
function routeMethods(routes: { path: string; method: string }[]): (path: string) => string[] {
  const byPattern = new Map<string, { regex: RegExp; methods: Set<string> }>();
  for (const route of routes) {
    if (route.method === 'ALL' || route.path.includes('*')) continue;
    const entry = byPattern.get(route.path) ?? {
      regex: new RegExp(`^${route.path.split(/(:[A-Za-z0-9_]+)/).map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`),
      methods: new Set<string>(),
    };
    entry.methods.add(route.method);
    byPattern.set(route.path, entry);
  }
  return (path) => {
    const methods = new Set<string>();
    for (const { regex, methods: m } of byPattern.values()) if (regex.test(path)) m.forEach((x) => methods.add(x));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
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
  const badData = badDataDetail(error);
  if (badData) {
    logger?.warn({ error: error.name, code: badData.code, route: c.req.routePath, method: c.req.method }, 'input rejected by the database');
    return problemResponse(c, 422, badData.detail, [{ field: '(body)', message: badData.detail }]);
  }
  // Name and route only: driver errors quote the failing SQL with its values (patient data).
  logger?.error({ error: error.name, route: c.req.routePath, method: c.req.method }, 'unhandled error');
  return problemResponse(c, 500, 'Something went wrong on our side.');
}
