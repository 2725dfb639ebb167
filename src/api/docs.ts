import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { swaggerUI } from '@hono/swagger-ui';
import type { Env, Hono } from 'hono';

/** The Swagger UI files the docs page loads, from the pinned npm package `swagger-ui-dist`. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};
const ASSET_BASE = '/docs/assets';

/**
 * `/docs`: Swagger UI for `/openapi.json`, its assets served by this process from the project's
 * own dependency, so the page works offline and loads nothing from a CDN.
 */
export function mountDocs<E extends Env>(app: Hono<E>): void {
  const distDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Buffer>();
  // @hono/swagger-ui builds `${baseUrl}/swagger-ui-dist/<file>`; no version: the installed one.
  app.get('/docs', swaggerUI({ url: '/openapi.json', baseUrl: ASSET_BASE, title: 'Clinic communications API' }));
  app.get(`${ASSET_BASE}/swagger-ui-dist/:file`, (c) => {
    const file = c.req.param('file');
    const type = ASSETS[file];
    if (!type) return c.notFound();
    let body = cache.get(file);
    if (!body) {
      body = readFileSync(join(distDir, file));
      cache.set(file, body);
    }
    return c.body(new Uint8Array(body), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
}
