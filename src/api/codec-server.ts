import type { PayloadCodec } from '@temporalio/common';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { sameSecret } from './auth.js';
import { fieldErrors, problemResponse } from './problem.js';

/** Temporal's remote-codec JSON: metadata values and data in base64. */
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const body = z.strictObject({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(1000),
});
type JsonPayload = z.infer<typeof body>['payloads'][number];

const toPayload = (p: JsonPayload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/**
 * X7: the codec server operators point the Temporal Web UI (or `temporal --codec-endpoint`) at, so
 * that they can read encrypted payloads: `POST /codec/decode` and `/codec/encode`, Temporal's
 * remote-codec protocol. Only with the platform key (`Authorization: Bearer …`); browsers from
 * CODEC_CORS_ORIGINS may call it (the Web UI's origin).
 */
export function codecServer(deps: { codec: PayloadCodec; platformKey: string; corsOrigins: readonly string[] }): Hono {
  const app = new Hono();
  app.use('*', cors({ origin: [...deps.corsOrigins], allowMethods: ['POST', 'OPTIONS'], allowHeaders: ['content-type', 'authorization', 'x-namespace'], credentials: true, maxAge: 600 }));
  for (const action of ['encode', 'decode'] as const) {
    app.post(`/${action}`, async (c) => {
      const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (!presented || !sameSecret(presented, deps.platformKey)) return problemResponse(c, 401, 'The codec needs the platform key (Authorization: Bearer …).');
      const parsed = body.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) return problemResponse(c, 400, 'Invalid codec request.', fieldErrors(parsed.error));
      const payloads = parsed.data.payloads.map(toPayload);
      const result = action === 'encode' ? await deps.codec.encode(payloads) : await deps.codec.decode(payloads);
      return c.json({ payloads: result.map(toJson) }, 200);
    });
  }
  return app;
}
