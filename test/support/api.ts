import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { createApp, type App, type AppDeps } from '../../src/api/app.js';
import type { SecretStash } from '../../src/api/deps.js';
import type { AlertProgress, AppointmentSnapshot, Engine, PasswordMessageRequest, TimelineEntry } from '../../src/engine/port.js';
import { createOutboxRelay } from '../../src/engine/outbox-relay.js';
import { freshDatabase, tablesContaining } from './db.js';

/** An Engine that records every call (the API's side of the port); answers are settable. */
export class RecordingEngine implements Engine {
  calls: { method: string; args: unknown[] }[] = [];
  timelines = new Map<string, TimelineEntry[]>();
  progress = new Map<string, AlertProgress>();
  /** Set to make the next engine call fail (e.g. Temporal unreachable). */
  failNext: Error | null = null;

  private record(method: string, ...args: unknown[]): void {
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = null;
      throw error;
    }
    this.calls.push({ method, args });
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  async appointmentChanged(snapshot: AppointmentSnapshot) {
    this.record('appointmentChanged', snapshot);
  }
  async appointmentCancelled(centerId: string, appointmentId: string, eventId: string, reason?: string) {
    this.record('appointmentCancelled', centerId, appointmentId, eventId, ...(reason && reason !== 'booking' ? [reason] : []));
  }
  async attendance(centerId: string, appointmentId: string, attended: boolean, eventId: string) {
    this.record('attendance', centerId, appointmentId, attended, eventId);
  }
  async patientAnswered(centerId: string, appointmentId: string, answer: string, via: string, eventId: string) {
    this.record('patientAnswered', centerId, appointmentId, answer, via, eventId);
  }
  async policyChanged(centerId: string, settingsVersion: number) {
    this.record('policyChanged', centerId, settingsVersion);
  }
  async resourceAlert(input: Parameters<Engine['resourceAlert']>[0]) {
    this.record('resourceAlert', input);
  }
  async alertProgress(centerId: string, alertId: string) {
    this.record('alertProgress', centerId, alertId);
    return this.progress.get(alertId) ?? null;
  }
  async timeline(centerId: string, appointmentId: string) {
    this.record('timeline', centerId, appointmentId);
    return this.timelines.get(appointmentId) ?? null;
  }
  async deliverCallback(centerId: string, callbackId: string) {
    this.record('deliverCallback', centerId, callbackId);
  }
  async sendPasswordMessage(request: PasswordMessageRequest) {
    this.record('sendPasswordMessage', request);
  }
}

/** Keeps stashed secrets in memory (the test's stand-in for the real stash). */
export class MemorySecretStash implements SecretStash {
  secrets = new Map<string, { centerId: string; secret: { password?: string; setupUrl?: string }; expiresAt: Date }>();
  async put(input: { centerId: string; secret: { password?: string; setupUrl?: string }; expiresAt: Date }) {
    const ref = `secret:${randomUUID()}`;
    this.secrets.set(ref, input);
    return ref;
  }
}

export const PLATFORM_KEY = 'platform-key-for-tests-0123456789';

export interface CallResult {
  status: number;
  headers: Headers;
  contentType: string;
  // Test code reads whatever the API answered.
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type ApiHarness = Awaited<ReturnType<typeof apiHarness>>;

/** A request as a client makes it, expected to succeed (2xx); answers the parsed body. */
export async function callOk(app: App, key: string, method: string, path: string, body?: unknown) {
  const res = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  // Test code reads whatever the API answered.
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * A fresh database, a recording engine and the app, called like a client would. After each write
 * the outbox relay delivers what the request committed, so `engine.calls` shows what the engine
 * was told (a failing engine leaves the command in the outbox, retried by a later drain).
 */
export async function apiHarness(options: Partial<Pick<AppDeps, 'rateLimit' | 'bodyLimitBytes' | 'now' | 'authThrottle'>> & { withSecrets?: boolean } = {}) {
  const db = await freshDatabase();
  const engine = new RecordingEngine();
  const secrets = new MemorySecretStash();
  const relay = createOutboxRelay({ orm: db.orm, engine, listen: false });
  const app = createApp({
    orm: db.orm,
    engine,
    config: { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: 'https://comms.example.test', TEMPORAL_UI_URL: 'http://temporal-ui.test:8233/', TEMPORAL_NAMESPACE: 'clinics' },
    rateLimit: options.rateLimit ?? { capacity: 10_000, refillPerSecond: 10_000 },
    ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.authThrottle ? { authThrottle: options.authThrottle } : {}),
    ...(options.withSecrets === false ? {} : { secrets }),
  });

  async function call(
    method: string,
    path: string,
    init: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string>; deliver?: boolean } = {},
  ): Promise<CallResult> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.key) headers.authorization = `Bearer ${init.key}`;
    let body: string | undefined;
    if (init.rawBody !== undefined) body = init.rawBody;
    else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    if (method !== 'GET' && init.deliver !== false) await relay.drain();
    const contentType = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, contentType, body: text && contentType.includes('json') ? JSON.parse(text) : text };
  }

  /** A center made through the API, with its admin and booking keys. */
  async function newCenter(name = 'Studio Rossi') {
    const res = await call('POST', '/v1/centers', { key: PLATFORM_KEY, body: { name } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.center.id as string, adminKey: res.body.keys.admin.key as string, bookingKey: res.body.keys.booking.key as string };
  }

  /** A digest of every table's rows: equal before and after = the request changed nothing. */
  async function fingerprint(): Promise<string> {
    const tables = await db.orm.em.getConnection().execute<{ table_name: string }[]>(
      `select table_name from information_schema.tables where table_schema = 'public' and table_name <> 'mikro_orm_migrations' order by table_name`,
    );
    const parts: string[] = [];
    for (const { table_name } of tables) {
      const [row] = await db.orm.em
        .getConnection()
        .execute<{ digest: string | null }[]>(`select md5(string_agg(t::text, '|' order by t::text)) as digest from "${table_name}" t`);
      parts.push(`${table_name}:${row?.digest ?? 'empty'}`);
    }
    return parts.join('\n');
  }

  return { db, engine, relay, secrets, app, call, newCenter, fingerprint, tablesContaining: (text: string) => tablesContaining(db.orm, text), close: () => relay.stop().then(() => db.close()) };
}

/** The common shape of every error answer. */
export function expectProblem(res: CallResult, status: number, field?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.contentType).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
  if (field !== undefined) {
    expect(res.body.errors?.map((e: { field: string }) => e.field), JSON.stringify(res.body)).toContain(field);
  }
}
