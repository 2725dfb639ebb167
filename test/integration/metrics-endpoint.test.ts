import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/ports.js';
import { createEngineMetrics } from '../../src/telemetry/metrics.js';
import { startMetricsServer } from '../../src/telemetry/metrics-server.js';

/** The worker's /metrics listener over real HTTP: METRICS_TOKEN, the path, a provider code that is not one. */
describe('worker /metrics listener', () => {
  const metrics = createEngineMetrics({ processMetrics: false });
  let server: Awaited<ReturnType<typeof startMetricsServer>>;
  beforeAll(async () => {
    server = await startMetricsServer({ port: await freePort(), host: '127.0.0.1', token: 'scrape-token-0123456789', scrape: metrics.scrape });
  });
  afterAll(() => server?.close());

  it('answers only a scrape with the bearer token', async () => {
    expect((await fetch(server.url)).status).toBe(401);
    expect((await fetch(server.url, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const ok = await fetch(server.url, { headers: { authorization: 'Bearer scrape-token-0123456789' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('version=0.0.4');
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('a provider code that does not look like one (free text, an address) is labelled `other`', async () => {
    metrics.observer.providerError({ eventKind: 'appointment.reminder', channel: 'email' }, 'mailbox mario.rossi@example.com full', 'not_sent');
    metrics.observer.providerError({ eventKind: 'appointment.reminder', channel: 'sms' }, '21610', 'not_sent');
    const text = await (await fetch(server.url, { headers: { authorization: 'Bearer scrape-token-0123456789' } })).text();
    expect(text).toContain('clinic_provider_errors_total{channel="email",code="other",outcome="not_sent"} 1');
    expect(text).toContain('clinic_provider_errors_total{channel="sms",code="21610",outcome="not_sent"} 1');
    expect(text).not.toContain('mario.rossi');
  });
});
