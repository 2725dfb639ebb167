import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';

/**
 * One server span per request, named by method and route pattern (`PUT /v1/appointments/:id`):
 * never the concrete path or query (booking-system ids, tokens of links) nor any header or body.
 * What the request commits to the outbox carries this span's context on to the workflow.
 */
export function traceRequests(tracer: Tracer): MiddlewareHandler {
  return (c, next) =>
    tracer.startActiveSpan(`HTTP ${c.req.method}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': c.req.method } }, async (span) => {
      try {
        await next();
      } finally {
        // The handler's own pattern: the last route matched that is not a middleware.
        const route = [...c.req.matchedRoutes].reverse().find((r) => r.method !== 'ALL')?.path;
        if (route) {
          span.updateName(`${c.req.method} ${route}`);
          span.setAttribute('http.route', route);
        }
        span.setAttribute('http.response.status_code', c.res.status);
        if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    });
}
