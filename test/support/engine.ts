import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type Worker, type WorkflowBundle } from '@temporalio/worker';
import pino from 'pino';
import { inject } from 'vitest';
import { createActivities, type ActivityDeps } from '../../src/activities/index.js';
import { createApp, type App } from '../../src/api/app.js';
import { createWebhooks } from '../../src/api/webhooks/index.js';
import type { EngineActivities } from '../../src/activities/types.js';
import { createChannels } from '../../src/channels/index.js';
import { topUp } from '../../src/db/credits.js';
import { createSecretStash, type SecretStash } from '../../src/db/secret-stash.js';
import { Appointment, Center, EventSetting, Location, Message, Patient, Resource, Service } from '../../src/db/entities/index.js';
import { startTwilioTestServer, type TwilioTestServer } from '../../src/dev/twilio-server.js';
import type { EventKind, Channel } from '../../src/domain/events.js';
import type { OutboundPolicy } from '../../src/domain/outbound-address.js';
import type { AppointmentSnapshot, Engine } from '../../src/engine/port.js';
import { registerSearchAttributes } from '../../src/engine/register-search-attributes.js';
import { createTemporalEngine } from '../../src/engine/temporal-engine.js';
import { dataConverterOption } from '../../src/engine/data-converter.js';
import type { SecretKey } from '../../src/keyring.js';
import { createOutboxRelay, type OutboxRelay } from '../../src/engine/outbox-relay.js';
import { announcePolicyChange, enqueueCommands } from '../../src/db/outbox.js';
import type { EngineCommand } from '../../src/engine/commands.js';
import { policyFanoutWorkflowId } from '../../src/workflows/definitions.js';
import { createLinks, type Links } from '../../src/links.js';
import { createWorkers, workflowsPath } from '../../src/worker.js';
import { startEmailDispatcher } from '../../src/messages/dispatcher.js';
import { freshDatabase } from './db.js';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.js';
import { snapshotOf } from '../../src/engine/snapshot.js';

export const TWILIO_SID = `AC${'1'.repeat(32)}`;
export const TWILIO_TOKEN = 'test-auth-token-0123456789';

let bundle: Promise<WorkflowBundle> | undefined;
/** The real workflow bundle, built once per test file. */
export const testBundle = () => (bundle ??= bundleWorkflowCode({ workflowsPath, logger: undefined }));

export interface EngineHarness {
  db: Awaited<ReturnType<typeof freshDatabase>>;
  env: TestWorkflowEnvironment;
  smtp: SmtpCapture;
  twilio: TwilioTestServer;
  /** Queries (timeline, alert progress); commands go through the outbox like the API's (`tell`). */
  engine: Engine;
  /** The relay that delivers committed outbox commands to Temporal. */
  relay: OutboxRelay;
  links: Links;
  secrets: SecretStash;
  /** The same activity functions the worker runs, for saga-level tests. */
  activities: EngineActivities;
  /** What those activities were built from. */
  deps: ActivityDeps;
  taskQueue: string;
  /** X2: runs `outage` with no worker polling (the system is "down"), then starts them again. */
  withWorkersDown(outage: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Everything real: a migrated PostgreSQL database, the time-skipping Temporal test server, the
 * real workflow bundle and activities, an SMTP server and the Twilio test server with the SDK.
 */
export async function startEngineHarness(
  options: {
    timeSkipping?: boolean;
    payloadKeys?: readonly SecretKey[];
    callbackPolicy?: OutboundPolicy;
    fanoutPacing?: ActivityDeps['fanoutPacing'];
    /**
     * #13: `run`: emails prepared ahead are marked for the email dispatcher and one runs (as in
     * src/worker.ts); `marked`: they are marked, but no dispatcher runs (the workflow's fallback).
     */
    emailDispatch?: 'run' | 'marked';
  } = {},
): Promise<EngineHarness> {
  const db = await freshDatabase();
  const converter = dataConverterOption(options.payloadKeys); // X7: encrypted payloads, as the worker and clients use them
  const env =
    options.timeSkipping === false
      ? await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: inject('temporalCli') } }, client: converter })
      : await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: inject('temporalTestServer') } }, client: converter });
  await registerSearchAttributes(env.connection);
  const smtp = await startSmtpCapture();
  const twilio = await startTwilioTestServer({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
  const channels = createChannels({
    smtp: { host: smtp.host, port: smtp.port, secure: false, auth: null },
    defaultEmailFrom: { name: 'Clinic', address: 'no-reply@clinic.test' },
    twilio: { accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, apiBaseUrl: twilio.url },
    defaultSmsFrom: '+390200000000',
    defaultVoiceFrom: '+390200000001',
  });
  const links = createLinks({ publicBaseUrl: 'http://127.0.0.1:9', secret: 'test-link-secret-0123456789abcdef0123' });
  const taskQueue = `test-${randomUUID()}`;
  const secrets = createSecretStash({ orm: db.orm, key: 'test-link-secret-0123456789abcdef0123' });
  const deps: ActivityDeps = {
    orm: db.orm, channels, links, secrets, temporal: env.client, taskQueue, logger: pino({ level: 'silent' }),
    ...(options.callbackPolicy ? { callbackPolicy: options.callbackPolicy } : {}),
    ...(options.fanoutPacing ? { fanoutPacing: options.fanoutPacing } : {}),
    ...(options.emailDispatch ? { emailDispatch: true } : {}),
  };
  const activities = createActivities(deps);
  const dispatcher = options.emailDispatch === 'run' ? startEmailDispatcher(deps, { concurrency: 20, identity: 'harness' }) : null;
  const startWorkers = async () => {
    const workers: Worker[] = await createWorkers({
      connection: env.nativeConnection,
      taskQueue,
      activities,
      bundle: await testBundle(),
      phoneMessagesPerSecond: 1000,
      ...converter,
    });
    return { workers, running: Promise.all(workers.map((w) => w.run())) };
  };
  let current = await startWorkers();
  const stopWorkers = async () => {
    current.workers.forEach((w) => w.shutdown());
    await current.running;
  };
  const engine = createTemporalEngine({ client: env.client, taskQueue, orm: db.orm });
  const relay = createOutboxRelay({ orm: db.orm, engine, pollMs: 200 });
  await relay.start();
  return {
    db,
    env,
    smtp,
    twilio,
    engine,
    relay,
    links,
    secrets,
    activities,
    deps,
    taskQueue,
    async withWorkersDown(outage) {
      await stopWorkers();
      try {
        await outage();
      } finally {
        current = await startWorkers();
      }
    },
    async stop() {
      await dispatcher?.stop();
      await relay.stop();
      await stopWorkers();
      await channels.close();
      await env.teardown();
      await Promise.all([smtp.stop(), twilio.stop()]);
      await db.close();
    },
  };
}

export interface Fixture {
  center: Center;
  patient: Patient;
  resource: Resource;
  service: Service;
  location: Location;
}

/** A center with credits, one patient, one resource, one service and one location. */
export async function createFixture(
  h: EngineHarness,
  overrides: { center?: Partial<Center>; patient?: Partial<Patient>; resource?: Partial<Resource>; service?: Partial<Service>; credits?: number } = {},
): Promise<Fixture> {
  const em = h.db.orm.em.fork();
  const center = em.create(Center, { name: 'Poliambulatorio Test', phone: '+390612345678', adminEmails: ['admin@clinic.test'], ...overrides.center });
  const patient = em.create(Patient, {
    centerId: center.id,
    externalId: `p-${randomUUID()}`,
    firstName: 'Giulia',
    lastName: 'Bianchi',
    email: 'giulia.bianchi@example.com',
    mobile: '+393331234567',
    privacyConsent: true,
    ...overrides.patient,
  });
  const resource = em.create(Resource, { centerId: center.id, externalId: `r-${randomUUID()}`, name: 'Dott. Rossi', email: 'rossi@clinic.test', ...overrides.resource });
  const service = em.create(Service, { centerId: center.id, externalId: `s-${randomUUID()}`, name: 'Visita cardiologica', price: '80.00', durationMinutes: 30, ...overrides.service });
  const location = em.create(Location, { centerId: center.id, externalId: `l-${randomUUID()}`, site: 'Sede Centro', notes: 'Registrarsi in accettazione' });
  await em.flush();
  await topUp(em, { centerId: center.id, amount: overrides.credits ?? 1000, note: 'test' });
  return { center, patient, resource, service, location };
}

/**
 * The API's path: a change and its engine commands commit together, then the relay delivers them.
 * `change` runs in the transaction and returns the commands to send.
 */
export async function commitThenTell(h: EngineHarness, change: (tx: EntityManager) => Promise<EngineCommand[]>): Promise<void> {
  await h.db.orm.em.fork().transactional(async (tx) => {
    const commands = await change(tx);
    await tx.flush();
    await enqueueCommands(tx, commands);
  });
  await h.relay.drain();
}

/** A settings change as PUT /v1/event-settings makes it: the row and the X3 announcement in one transaction. */
export async function setEvent(h: EngineHarness, centerId: string, eventKind: EventKind, channels: Channel[], options: Record<string, unknown> = {}) {
  let version = 0;
  await commitThenTell(h, async (tx) => {
    const row = (await tx.findOne(EventSetting, { centerId, eventKind })) ?? tx.create(EventSetting, { centerId, eventKind, channels, options });
    Object.assign(row, { channels, options });
    await tx.flush();
    version = await announcePolicyChange(tx, centerId);
    return [];
  });
  await policyFanoutDone(h, centerId, version);
}

/**
 * Waits until every open appointment has heard of the center's latest settings change (its
 * policy fan-out has completed), so a test can move time on. Polled: awaiting the result would
 * let the time-skipping server jump ahead meanwhile.
 */
export async function policyFanoutDone(h: EngineHarness, centerId: string, version?: number): Promise<void> {
  const latest = version ?? (await h.db.orm.em.fork().findOneOrFail(Center, { id: centerId })).settingsVersion;
  const fanout = h.env.client.workflow.getHandle(policyFanoutWorkflowId(centerId, latest));
  const statusOf = async () => (await fanout.describe().catch(() => null))?.status.name ?? 'NOT_STARTED';
  const status = await eventually(statusOf, (s) => s !== 'RUNNING' && s !== 'NOT_STARTED');
  if (status !== 'COMPLETED') throw new Error(`policy fan-out of version ${latest}: ${status}`);
}

/** Books an appointment `startInMs` from the server's now, as the booking path would. */
export async function book(
  h: EngineHarness,
  f: Fixture,
  input: { startInMs: number; durationMin?: number; patient?: Patient; bookedOnline?: boolean; bookedAgoMs?: number },
): Promise<{ appointment: Appointment; snapshot: AppointmentSnapshot }> {
  const now = await serverNow(h);
  const startAt = new Date(now.getTime() + input.startInMs);
  let appointment!: Appointment;
  const patient = input.patient ?? f.patient;
  const bookingIds = { patient: patient.externalId, resource: f.resource.externalId };
  await commitThenTell(h, async (em) => {
    appointment = em.create(Appointment, {
    centerId: f.center.id,
    externalId: `a-${randomUUID()}`,
    patientId: patient.id,
    resourceId: f.resource.id,
    serviceId: f.service.id,
    locationId: f.location.id,
    startAt,
    endAt: new Date(startAt.getTime() + (input.durationMin ?? 30) * 60_000),
    bookedAt: new Date(now.getTime() - (input.bookedAgoMs ?? 0)),
    bookedOnline: input.bookedOnline ?? false,
    revision: 1,
    });
    await em.flush();
    return [{ type: 'appointmentChanged', snapshot: snapshotOf(appointment, bookingIds), created: true }];
  });
  return { appointment, snapshot: snapshotOf(appointment, bookingIds) };
}


/** The test server's clock (it runs ahead of the wall clock once time has been skipped). */
export async function serverNow(h: EngineHarness): Promise<Date> {
  return new Date(Number(await h.env.currentTimeMs()));
}

/** Polls `probe` until `accept` holds (real time; the worker needs a moment to record a send). */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A new revision from the booking system: moves the appointment by `shiftMs`. */
export async function modify(h: EngineHarness, appointment: Appointment, shiftMs: number): Promise<Appointment> {
  let row!: Appointment;
  await commitThenTell(h, async (em) => {
    row = await em.findOneOrFail(Appointment, { id: appointment.id });
    row.startAt = new Date(row.startAt.getTime() + shiftMs);
    row.endAt = new Date(row.endAt.getTime() + shiftMs);
    row.revision += 1;
    const [patient, resource] = await Promise.all([em.findOneOrFail(Patient, { id: row.patientId }), row.resourceId ? em.findOne(Resource, { id: row.resourceId }) : null]);
    return [{ type: 'appointmentChanged', snapshot: snapshotOf(row, { patient: patient.externalId, resource: resource?.externalId ?? null }), created: false }];
  });
  return row;
}

export async function cancel(h: EngineHarness, appointment: Appointment): Promise<void> {
  await commitThenTell(h, async (em) => {
    await em.nativeUpdate(Appointment, { id: appointment.id }, { status: 'cancelled', cancelledAt: new Date() });
    return [{ type: 'appointmentCancelled', centerId: appointment.centerId, appointmentId: appointment.id, eventId: `cancel-${appointment.id}` }];
  });
}

export const messagesOf = (h: EngineHarness, appointmentId: string) =>
  h.db.orm.em.fork().find(Message, { appointmentId }, { orderBy: { createdAt: 'asc' } });

/** `eventKind:channel:status[:reason]` lines, sorted, for compact assertions. */
export const summary = (rows: Message[], eventKind?: string) =>
  rows
    .filter((m) => !eventKind || m.eventKind === eventKind)
    .map((m) => [m.eventKind, m.channel, m.status, m.skipReason].filter(Boolean).join(':'))
    .sort();

/**
 * The REST API with its webhooks on an engine harness, and a call as a client makes it (JSON
 * body, a fresh Idempotency-Key on every POST).
 */
export function apiOnHarness(h: EngineHarness, config: { PLATFORM_API_KEY: string; PUBLIC_BASE_URL: string }) {
  const app: App = createApp({
    orm: h.db.orm,
    engine: h.engine,
    config,
    secrets: h.secrets,
    webhooks: createWebhooks({ orm: h.db.orm, links: h.links, publicBaseUrl: config.PUBLIC_BASE_URL, twilioAuthToken: TWILIO_TOKEN }),
  });
  const call = async (key: string, method: string, path: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(method === 'POST' ? { 'idempotency-key': crypto.randomUUID() } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // What the request committed reaches the engine before the test moves time on (in
    // production the relay takes milliseconds; here time-skipping could overtake it).
    if (method !== 'GET') await h.relay.drain();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return { app, call };
}
