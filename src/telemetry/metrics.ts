import type { MikroORM } from '@mikro-orm/postgresql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { creditBalances, dueMessages } from '../db/metrics-queries.js';
import { outboxBacklog } from '../db/outbox.js';
import type { MessageLabels, MessageObserver } from '../messages/observer.js';

/**
 * The engine's Prometheus metrics, one registry per process (no prom-client global): counters
 * the message owner feeds through its observer, and gauges read from the database at scrape
 * time. Labels are kinds, channels, statuses, reasons, codes and center ids: never patient data.
 */

/** Seconds from a message's due time to the provider's acceptance. */
const LATENESS_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600];
/** A provider code is a label only if it looks like one (Twilio 21610, SMTP 550, EAUTH). */
const CODE = /^[A-Za-z0-9_.-]{1,32}$/;

export interface EngineMetrics {
  registry: Registry;
  observer: MessageObserver;
  /** The Prometheus text of this registry. */
  scrape(): Promise<string>;
}

export function createEngineMetrics(options: { orm?: MikroORM; processMetrics?: boolean; now?: () => Date } = {}): EngineMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter({ name, help, labelNames, registers: [registry] });
  const messages = counter('clinic_messages_total', 'Messages that reached a status in this process, by event kind, channel and status.', ['event', 'channel', 'status'] as const);
  const skips = counter('clinic_message_skips_total', 'Messages skipped in this process, by event kind, channel and skip reason.', ['event', 'channel', 'reason'] as const);
  const failures = counter('clinic_message_failures_total', 'Messages failed for good in this process, by event kind, channel and reason code.', ['event', 'channel', 'reason'] as const);
  const lateness = new Histogram({
    name: 'clinic_message_send_lateness_seconds',
    help: "From a message's due time to the provider's acceptance (0 when sent early).",
    labelNames: ['event', 'channel'] as const,
    buckets: LATENESS_BUCKETS,
    registers: [registry],
  });
  const providerErrors = counter('clinic_provider_errors_total', 'Failed provider calls by channel, provider code and outcome (not_sent: retried or failed; unknown: may have gone out).', ['channel', 'code', 'outcome'] as const);
  const labels = (m: MessageLabels) => ({ event: m.eventKind, channel: m.channel });
  const codeOf = (code: string | null | undefined) => (code && CODE.test(code) ? code : 'other');
  const observer: MessageObserver = {
    reached(m, status, reason) {
      messages.inc({ ...labels(m), status });
      if (status === 'skipped') skips.inc({ ...labels(m), reason: codeOf(reason) });
      if (status === 'failed') failures.inc({ ...labels(m), reason: codeOf(reason) });
    },
    accepted(m, latenessMs) {
      lateness.observe(labels(m), Math.max(0, latenessMs) / 1000);
    },
    providerError(m, code, outcome) {
      providerErrors.inc({ channel: m.channel, code: codeOf(code), outcome });
    },
  };
  if (options.orm) addDatabaseGauges(registry, options.orm, options.now ?? (() => new Date()));
  return { registry, observer, scrape: () => registry.metrics() };
}

/** Gauges read from PostgreSQL when scraped: the same in every process, so any one answers. */
function addDatabaseGauges(registry: Registry, orm: MikroORM, now: () => Date): void {
  const em = () => orm.em.fork();
  new Gauge({
    name: 'clinic_center_credit_balance',
    help: "Each center's credit balance (F1), by center id.",
    labelNames: ['center_id'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { centerId, balance } of await creditBalances(em())) this.set({ center_id: centerId }, balance);
    },
  });
  // The three outbox gauges share one read per scrape (a registry collects all metrics at once).
  let reading: Promise<{ pending: number; failing: number; oldestAgeSeconds: number }> | null = null;
  const outbox = () =>
    (reading ??= outboxBacklog(em())
      .then((b) => ({ pending: b.pending, failing: b.failing, oldestAgeSeconds: b.oldestAt ? Math.max(0, (now().getTime() - b.oldestAt.getTime()) / 1000) : 0 }))
      .finally(() => setImmediate(() => (reading = null))));
  const outboxGauge = (name: string, help: string, pick: (o: Awaited<ReturnType<typeof outbox>>) => number) =>
    new Gauge({ name, help, registers: [registry], async collect() { this.set(pick(await outbox())); } });
  outboxGauge('clinic_outbox_pending', 'Engine commands committed and not yet delivered to Temporal.', (o) => o.pending);
  outboxGauge('clinic_outbox_failing', 'Outbox commands whose delivery failed at least once.', (o) => o.failing);
  outboxGauge('clinic_outbox_oldest_age_seconds', 'Age of the oldest undelivered outbox command (0 when empty).', (o) => o.oldestAgeSeconds);
  new Gauge({
    name: 'clinic_messages_due',
    help: 'Messages whose due time has come and that have not left yet, by channel and status (scheduled, sending, unknown).',
    labelNames: ['channel', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await dueMessages(em(), now())) this.set({ channel: row.channel, status: row.status }, row.count);
    },
  });
}
