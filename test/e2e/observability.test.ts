import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Message } from '../../src/db/entities/index.js';
import { freePort } from '../../src/dev/ports.js';
import { startTwilioTestServer, type TwilioTestServer } from '../../src/dev/twilio-server.js';
import { registerSearchAttributes } from '../../src/engine/register-search-attributes.js';
import { startApiServer } from '../../src/server.js';
import { installTemporalRuntime } from '../../src/telemetry/temporal-runtime.js';
import { startTracing, type Tracing } from '../../src/telemetry/tracing.js';
import { runWorker } from '../../src/worker.js';
import { freshDatabase } from '../support/db.js';
import { eventually } from '../support/engine.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp-capture.js';

const PLATFORM_KEY = 'platform-key-for-the-metrics-test-0123456789';
const TWILIO_SID = `AC${'2'.repeat(32)}`;
const TWILIO_TOKEN = 'metrics-test-auth-token-0123';
const DAY = 24 * 3600_000;
/** The patients' data: none of it may appear in a metric label or a span. */
const PATIENT = { firstName: 'Marco', lastName: 'Neri', email: 'marco.neri@example.com', mobile: '+393471112233' };
const SECOND = { firstName: 'Ilaria', lastName: 'Fontana', email: 'ilaria.fontana@example.com' };
const THIRD = { firstName: 'Bruno', lastName: 'Sartori', mobile: '+393489998877' };
const PATIENT_DATA = [PATIENT.firstName, PATIENT.lastName, PATIENT.email, PATIENT.mobile, '3471112233', SECOND.firstName, SECOND.lastName, SECOND.email, THIRD.firstName, THIRD.lastName, THIRD.mobile, '3489998877'];

/** Prometheus text → samples: name, labels, value. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)/.exec(line);
      if (!m) throw new Error(`not a sample: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
      return { name: m[1]!, labels, value: Number(m[4]) };
    });
}
const valueOf = (text: string, name: string, labels: Record<string, string>) =>
  samples(text).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

/**
 * #12 item 7: the API and the worker as their processes run them (startApiServer, runWorker with
 * METRICS_PORT and the Temporal runtime's exporter), on a real Temporal dev server, PostgreSQL,
 * SMTP and the Twilio test server, with tracing on into an in-memory exporter.
 */
describe('e2e: /metrics on the API and the worker, traces from the request to the provider', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let env: TestWorkflowEnvironment;
  let smtp: SmtpCapture;
  let twilio: TwilioTestServer;
  let api: Awaited<ReturnType<typeof startApiServer>>;
  let worker: Promise<void>;
  let workerMetrics: string;
  const spans = new InMemorySpanExporter();
  let tracing: Tracing;
  const stop = new AbortController();

  beforeAll(async () => {
    // First: the Temporal runtime is a process singleton, created by the first connection.
    const runtime = await installTemporalRuntime();
    tracing = startTracing({ serviceName: 'clinic-test', exporter: spans });
    db = await freshDatabase();
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: inject('temporalCli') } } });
    await registerSearchAttributes(env.connection);
    smtp = await startSmtpCapture();
    twilio = await startTwilioTestServer({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
    const apiPort = await freePort();
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `metrics-${randomUUID()}`,
      API_PORT: String(apiPort),
      // Twilio's status callbacks reach this API (delivery reports count on its /metrics).
      PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
      PLATFORM_API_KEY: PLATFORM_KEY,
      LINK_SIGNING_SECRET: 'metrics-test-link-secret-0123456789abcdef',
      SMTP_HOST: smtp.host,
      SMTP_PORT: String(smtp.port),
      DEFAULT_EMAIL_FROM: 'no-reply@clinic.test',
      DEFAULT_SMS_FROM: '+390200000000',
      DEFAULT_VOICE_FROM: '+390200000001',
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_API_BASE_URL: twilio.url,
      METRICS_PORT: String(await freePort()),
    });
    const logger = pino({ level: 'silent' });
    api = await startApiServer({ config, orm: db.orm, logger, tracing });
    const listening = new Promise<string>((resolve) => {
      worker = runWorker({ config, orm: db.orm, logger, tracing, temporalMetricsUrl: runtime.metricsUrl, signal: stop.signal, onMetrics: resolve });
      worker.catch(() => undefined);
    });
    workerMetrics = await listening;
  }, 180_000);

  afterAll(async () => {
    stop.abort();
    await worker?.catch(() => undefined);
    await api?.close();
    await tracing?.shutdown();
    await env?.teardown();
    await Promise.all([smtp?.stop(), twilio?.stop()]);
    await db?.close();
  });

  const call = async (key: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const scrape = async (url: string) => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  it('E1 F1: messages by event, channel and status, skip reasons, lateness, credits per center, outbox; one trace from the booking request to the provider; no patient data in any label or span', async () => {
    const created = await call(PLATFORM_KEY, 'POST', '/v1/centers', { name: 'Studio Medico Verdi', adminEmails: ['segreteria@verdi.test'] });
    expect(created.status).toBe(201);
    const admin = created.body.keys.admin.key as string;
    const booking = created.body.keys.booking.key as string;
    const centerId = created.body.center.id as string;
    expect((await call(PLATFORM_KEY, 'POST', '/v1/credits/top-ups', { centerId, amount: 100, note: 'welcome' })).status).toBe(201);
    expect((await call(admin, 'PUT', '/v1/event-settings/appointment.created', { channels: ['email', 'sms'] })).status).toBe(200);
    expect((await call(booking, 'PUT', '/v1/patients/P-1', { ...PATIENT, privacyConsent: true })).status).toBeLessThan(300);
    // No mobile: the SMS of this one is skipped (a skip reason to count).
    expect((await call(booking, 'PUT', '/v1/patients/P-2', { ...SECOND, privacyConsent: true })).status).toBeLessThan(300);
    expect((await call(booking, 'PUT', '/v1/resources/R-1', { name: 'Dott.ssa Gialli' })).status).toBeLessThan(300);
    expect((await call(booking, 'PUT', '/v1/services/S-1', { name: 'Ecografia', price: '60.00', durationMinutes: 20 })).status).toBeLessThan(300);
    const start = new Date(Date.now() + 3 * DAY);
    const appointment = (patientId: string) => ({
      revision: 1, patientId, resourceId: 'R-1', serviceId: 'S-1',
      startAt: start.toISOString(), endAt: new Date(start.getTime() + 20 * 60_000).toISOString(),
    });
    expect((await call(booking, 'PUT', '/v1/appointments/A-1', appointment('P-1'))).status).toBeLessThan(300);
    expect((await call(booking, 'PUT', '/v1/appointments/A-2', appointment('P-2'))).status).toBeLessThan(300);

    // B1: the booking confirmations go out: two emails, one SMS (delivered, by the status callback).
    await eventually(async () => smtp.mails.length, (n) => n >= 2, 60_000);
    await eventually(async () => twilio.callbacks.length, (n) => n >= 1, 30_000);
    const em = db.orm.em.fork();
    const rows = await eventually(
      () => em.find(Message, { centerId, eventKind: 'appointment.created' }, { refresh: true }),
      (r) => r.length === 4 && r.every((m) => ['sent', 'delivered', 'skipped'].includes(m.status)),
    );
    const skipped = rows.filter((m) => m.status === 'skipped');
    expect(skipped.map((m) => m.channel)).toEqual(['sms']);

    const worker = await scrape(workerMetrics);
    const created1 = { event: 'appointment.created' };
    expect(valueOf(worker, 'clinic_messages_total', { ...created1, channel: 'email', status: 'scheduled' })).toBe(2);
    expect(valueOf(worker, 'clinic_messages_total', { ...created1, channel: 'email', status: 'sent' })).toBe(2);
    expect(valueOf(worker, 'clinic_messages_total', { ...created1, channel: 'sms', status: 'sent' })).toBe(1);
    expect(valueOf(worker, 'clinic_messages_total', { ...created1, channel: 'sms', status: 'skipped' })).toBe(1);
    expect(valueOf(worker, 'clinic_message_skips_total', { ...created1, channel: 'sms', reason: skipped[0]!.skipReason! })).toBe(1);
    // Lateness: one observation per accepted send, from the due time to the provider's answer.
    expect(valueOf(worker, 'clinic_message_send_lateness_seconds_count', { ...created1, channel: 'email' })).toBe(2);
    expect(valueOf(worker, 'clinic_message_send_lateness_seconds_count', { ...created1, channel: 'sms' })).toBe(1);
    expect(valueOf(worker, 'clinic_message_send_lateness_seconds_sum', { ...created1, channel: 'sms' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(worker, 'clinic_message_send_lateness_seconds_bucket', { ...created1, channel: 'sms', le: '+Inf' })).toBe(1);
    // The Temporal SDK's own worker metrics, merged (task queue of this worker).
    expect(samples(worker).some((s) => s.name.startsWith('temporal_') && s.labels.task_queue?.startsWith('metrics-'))).toBe(true);

    // The credit gauge is the ledger's total; the same on both processes (read from the database).
    const ledger = await call(admin, 'GET', '/v1/credits/ledger?limit=100');
    expect(ledger.status).toBe(200);
    const ledgerTotal = (ledger.body.data as { amount: number }[]).reduce((sum, e) => sum + e.amount, 0);
    expect(ledgerTotal).toBeLessThan(100); // the sends were paid for
    const apiText = await scrape(`${api.url}/metrics`);
    expect(valueOf(worker, 'clinic_center_credit_balance', { center_id: centerId })).toBe(ledgerTotal);
    expect(valueOf(apiText, 'clinic_center_credit_balance', { center_id: centerId })).toBe(ledgerTotal);
    expect(valueOf(apiText, 'clinic_outbox_pending', {})).toBe(0);
    // Delivery reports come to the API: its counters show the SMS delivered.
    await eventually(async () => valueOf(await scrape(`${api.url}/metrics`), 'clinic_messages_total', { ...created1, channel: 'sms', status: 'delivered' }), (v) => v === 1);

    // A3: Twilio refuses a number for good (21211): a provider error by code, a failure by reason.
    expect((await call(booking, 'PUT', '/v1/patients/P-3', { ...THIRD, privacyConsent: true })).status).toBeLessThan(300);
    twilio.failNext({ status: 400, code: 21211 });
    expect((await call(booking, 'PUT', '/v1/appointments/A-3', appointment('P-3'))).status).toBeLessThan(300);
    const failed = await eventually(
      () => em.findOne(Message, { centerId, eventKind: 'appointment.created', channel: 'sms', status: 'failed' }, { refresh: true }),
      (m) => m !== null,
      30_000,
    );
    expect(failed?.failureReason).toBe('21211');
    const afterFailure = await scrape(workerMetrics);
    expect(valueOf(afterFailure, 'clinic_provider_errors_total', { channel: 'sms', code: '21211', outcome: 'not_sent' })).toBe(1);
    expect(valueOf(afterFailure, 'clinic_message_failures_total', { ...created1, channel: 'sms', reason: '21211' })).toBe(1);
    expect(valueOf(afterFailure, 'clinic_messages_total', { ...created1, channel: 'sms', status: 'failed' })).toBe(1);

    for (const text of [worker, afterFailure, await scrape(`${api.url}/metrics`)]) {
      const values = samples(text).flatMap((s) => Object.values(s.labels));
      for (const data of PATIENT_DATA) expect(values.filter((v) => v.includes(data))).toEqual([]);
    }
    const spanText = JSON.stringify(spans.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
    for (const data of PATIENT_DATA) expect(spanText).not.toContain(data);

    // Traces: the booking request, the workflow it starts, its send activity and the provider call are one trace.
    const all = () => spans.getFinishedSpans();
    const request = all().find((s) => s.name === 'PUT /v1/appointments/:id');
    expect(request?.attributes['http.route']).toBe('/v1/appointments/:id');
    const traceId = request!.spanContext().traceId;
    const inTrace = () => all().filter((s) => s.spanContext().traceId === traceId);
    const provider = await eventually(async () => inTrace().find((s) => s.name === 'provider send email'), (s) => !!s);
    const byId = new Map(inTrace().map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);

    // API request → (outbox, relay) → StartWorkflow, a child of the request span.
    const startWorkflow = inTrace().find((s) => s.name === 'StartWorkflow:appointmentWorkflow');
    expect(startWorkflow?.parentSpanId).toBe(request!.spanContext().spanId);
    // Workflow → activity → provider: the provider call's parent is the activity's run, whose
    // parent is the workflow's StartActivity span (exported from the workflow sandbox).
    const activity = parentOf(provider!);
    expect(activity?.name).toBe('RunActivity:sendMessage');
    expect(parentOf(activity!)?.name).toBe('StartActivity:sendMessage');
  });
});
