import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import pino, { type Logger } from 'pino';
import { createApp } from './api/app.js';
import { createWebhooks } from './api/webhooks/index.js';
import { linkSigningKeys, loadConfig, messageSecretKeys, type Config } from './config.js';
import { createSecretStash } from './db/secret-stash.js';
import { openOrm } from './db/orm.js';
import { dataConverterOption } from './engine/data-converter.js';
import { AesGcmPayloadCodec } from './engine/payload-codec.js';
import { startOutboxRelay } from './engine/start-relay.js';
import { createTemporalEngine } from './engine/temporal-engine.js';
import { createLinks } from './links.js';
import { createEngineMetrics } from './telemetry/metrics.js';
import { tracingFromConfig, type Tracing } from './telemetry/tracing.js';

/** The REST API, webhooks and public links, wired from config once. */
export async function buildApi(deps: { config: Config; orm: MikroORM; client: Client; logger: Logger; tracing?: Tracing }) {
  const { config, orm, client, logger } = deps;
  const metrics = createEngineMetrics({ orm });
  const engine = createTemporalEngine({ client, taskQueue: config.TEMPORAL_TASK_QUEUE, orm });
  const links = createLinks({ publicBaseUrl: config.PUBLIC_BASE_URL, secret: linkSigningKeys(config) });
  return createApp({
    orm,
    engine,
    config,
    logger,
    rateLimit: { capacity: config.API_RATE_LIMIT_BURST, refillPerSecond: config.API_RATE_LIMIT_PER_SECOND }, apiKeyCacheSeconds: config.API_KEY_CACHE_SECONDS,
    secrets: createSecretStash({ orm, key: messageSecretKeys(config) }),
    webhooks: createWebhooks({ orm, links, publicBaseUrl: config.PUBLIC_BASE_URL, twilioAuthToken: config.TWILIO_AUTH_TOKEN, logger, observer: metrics.observer }),
    metrics: { scrape: metrics.scrape, token: config.METRICS_TOKEN },
    ...(deps.tracing ? { tracer: deps.tracing.tracer } : {}),
    ...(config.TEMPORAL_PAYLOAD_KEYS ? { codec: { codec: new AesGcmPayloadCodec(config.TEMPORAL_PAYLOAD_KEYS), corsOrigins: config.CODEC_CORS_ORIGINS } } : {}),
  });
}

/** Starts the HTTP server; resolves once it listens. */
export async function startApiServer(deps: { config: Config; orm?: MikroORM; logger?: Logger; tracing?: Tracing }): Promise<{ url: string; close(): Promise<void> }> {
  const { config, tracing } = deps;
  const logger = deps.logger ?? pino({ level: config.LOG_LEVEL });
  const orm = deps.orm ?? (await openOrm(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX }));
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...dataConverterOption(config.TEMPORAL_PAYLOAD_KEYS),
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
  const app = await buildApi({ config, orm, client, logger, ...(tracing ? { tracing } : {}) });
  const relay = await startOutboxRelay({ config, orm, client, logger });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.API_PORT, hostname: config.API_HOST }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${config.API_PORT}`;
  logger.info({ url }, 'API listening');
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await relay.stop();
      await connection.close();
      if (!deps.orm) await orm.close();
    },
  };
}

/** The API process (`node dist/server.js`, `npm run api`): config from `env`, stops on SIGINT / SIGTERM. */
export function main(env: Record<string, string | undefined> = process.env): void {
  const config = loadConfig(env);
  const tracing = tracingFromConfig(config, 'clinic-api');
  startApiServer({ config, ...(tracing ? { tracing } : {}) })
    .then((server) => {
      const stop = () => server.close().then(() => tracing?.shutdown());
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop().then(() => process.exit(0)));
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
