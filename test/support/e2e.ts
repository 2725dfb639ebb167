import { createApp, type App } from '../../src/api/app.js';
import { createWebhooks } from '../../src/api/webhooks/index.js';
import { TWILIO_TOKEN, type EngineHarness } from './engine.js';

/** The public URL the e2e apps sign their links with (nothing listens there). */
export const E2E_BASE_URL = 'http://127.0.0.1:9';

/** The whole HTTP surface (REST API, webhooks, links) on the engine harness, as the API process builds it. */
export function wholeApp(h: EngineHarness, platformKey: string): App {
  return createApp({
    orm: h.db.orm,
    engine: h.engine,
    config: { PLATFORM_API_KEY: platformKey, PUBLIC_BASE_URL: E2E_BASE_URL },
    secrets: h.secrets,
    webhooks: createWebhooks({ orm: h.db.orm, engine: h.engine, links: h.links, publicBaseUrl: E2E_BASE_URL, twilioAuthToken: TWILIO_TOKEN }),
  });
}

/** Calls the REST API like a client: JSON in and out, an Idempotency-Key on every POST. */
export function restCaller(app: () => App) {
  // Test code reads whatever the API answered.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return async (key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await app().request(path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(method === 'POST' ? { 'idempotency-key': crypto.randomUUID() } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}
