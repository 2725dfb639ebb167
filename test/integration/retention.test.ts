import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/api/app.js';
import { ApiKey, CallbackDelivery, IdempotencyRecord, Message, MessageEvent } from '../../src/db/entities/index.js';
import { ensureRetentionSchedule, RETENTION_SCHEDULE_ID } from '../../src/engine/retention-schedule.js';
import { startEngineHarness, type EngineHarness } from '../support/engine.js';
import { addMessage, seedClinic, type Clinic } from '../support/webhooks.js';

const DAY = 24 * 3600_000;
const PLATFORM_KEY = 'platform-key-for-the-retention-test-0123456789';
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

/** X7 retention on the real Temporal dev server (Schedules) and PostgreSQL. */
describe('X7: retention runs as a Temporal Schedule', () => {
  let h: EngineHarness;
  let app: App;
  beforeAll(async () => {
    h = await startEngineHarness({ timeSkipping: false });
    app = createApp({ orm: h.db.orm, engine: h.engine, config: { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: 'http://127.0.0.1:9' } });
  }, 180_000);
  afterAll(() => h?.stop());

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = async (key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const em = () => h.db.orm.em.fork();
  /** A message as the saga leaves it, with its creation time moved back. */
  const messageAged = async (clinic: Clinic, days: number, status: 'sent' | 'scheduled' = 'sent') => {
    const m = await addMessage(h.db.orm, clinic, { channel: 'sms', status });
    await em().nativeUpdate(Message, { id: m.id }, { createdAt: daysAgo(days), subject: 'Promemoria' });
    await em().insert(MessageEvent, { id: randomUUID(), messageId: m.id, status: 'sent', detail: null, createdAt: daysAgo(days), updatedAt: daysAgo(days) });
    return m.id;
  };

  it('X7: a center sets its own period within the platform limits; outside them is a 400 naming the field', async () => {
    const created = await call(PLATFORM_KEY, 'POST', '/v1/centers', { name: 'Studio Limiti' });
    const admin = created.body.keys.admin.key as string;
    expect(created.body.center.messageRetentionDays).toBe(90);
    for (const bad of [3, 5000, 30.5]) {
      const res = await call(admin, 'PATCH', '/v1/center', { messageRetentionDays: bad });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('messageRetentionDays');
    }
    expect((await call(admin, 'PATCH', '/v1/center', { messageRetentionDays: 30 })).body.messageRetentionDays).toBe(30);
    expect((await call(admin, 'PATCH', '/v1/center', { messageRetentionDays: null })).body.messageRetentionDays).toBe(90);
  });

  it('X7 E1 F1: the Schedule (overlap SKIP) redacts texts and addresses per center period, keeps the metadata, purges events, callbacks and idempotency records after their TTLs, in batches; a second run changes nothing', async () => {
    const short = await seedClinic(h.db.orm, { center: { messageRetentionDays: 30 } });
    const standard = await seedClinic(h.db.orm); // the platform default, 90 days
    const ids = {
      short40: await messageAged(short, 40),
      short10: await messageAged(short, 10),
      standard40: await messageAged(standard, 40),
      standard100: await messageAged(standard, 100),
      standard100b: await messageAged(standard, 100),
      standard100c: await messageAged(standard, 100),
      scheduled100: await messageAged(standard, 100, 'scheduled'), // still on its way: left alone
    };
    const before = await em().findOneOrFail(Message, { id: ids.standard100 });
    const oldEvent = await em().insert(MessageEvent, { id: randomUUID(), messageId: ids.short10, status: 'delivered', detail: null, createdAt: daysAgo(400), updatedAt: daysAgo(400) });
    const key = await em().insert(ApiKey, { id: randomUUID(), name: 'k', prefix: 'ck_x', hash: randomUUID().replace(/-/g, '').padEnd(64, '0'), scope: 'booking', createdAt: new Date(), updatedAt: new Date() });
    const idem = (days: number) =>
      em().insert(IdempotencyRecord, { id: randomUUID(), apiKeyId: key, key: randomUUID(), requestHash: 'h'.repeat(64), status: 201, responseBody: '{}', createdAt: daysAgo(days), updatedAt: daysAgo(days) });
    const idemOld = await idem(40);
    const idemNew = await idem(1);
    const callback = (deliveredDaysAgo: number | null) =>
      em().insert(CallbackDelivery, {
        id: randomUUID(), centerId: short.center.id, type: 'patient.opted_out', eventId: randomUUID(), payload: { patientId: 'p' }, attempts: 1,
        deliveredAt: deliveredDaysAgo === null ? null : daysAgo(deliveredDaysAgo), createdAt: daysAgo(60), updatedAt: daysAgo(60),
      });
    const delivered = await callback(40);
    const pending = await callback(null);

    await ensureRetentionSchedule(h.env.client, { taskQueue: h.taskQueue, batchSize: 2 });
    await ensureRetentionSchedule(h.env.client, { taskQueue: h.taskQueue, batchSize: 2 }); // every worker start: an update, not an error
    const schedule = h.env.client.schedule.getHandle(RETENTION_SCHEDULE_ID);
    const described = await schedule.describe();
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);

    const runOnce = async (previous: number) => {
      await schedule.trigger();
      const action = await expect
        .poll(async () => (await schedule.describe()).info.recentActions, { timeout: 20_000 })
        .toHaveLength(previous + 1)
        .then(async () => (await schedule.describe()).info.recentActions[previous]!);
      return h.env.client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId).result();
    };
    const totals = await runOnce(0);
    expect(totals).toEqual({ redactMessages: 4, messageEvents: 1, callbackDeliveries: 1, idempotencyRecords: 1 });

    const rows = new Map((await em().find(Message, { id: Object.values(ids) })).map((m) => [m.id, m]));
    const redacted = (id: string) => rows.get(id)!.body === null && rows.get(id)!.subject === null && rows.get(id)!.recipientAddress === null;
    expect(Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, redacted(id)]))).toEqual({
      short40: true, // past the center's 30 days
      short10: false,
      standard40: false, // within the default 90
      standard100: true,
      standard100b: true,
      standard100c: true,
      scheduled100: false,
    });
    // The metadata the summary and billing need is untouched.
    const after = rows.get(ids.standard100)!;
    expect({ ...after, body: before.body, subject: before.subject, recipientAddress: before.recipientAddress, updatedAt: before.updatedAt }).toEqual(before);

    expect(await em().count(MessageEvent, { id: oldEvent })).toBe(0);
    expect(await em().count(MessageEvent, { messageId: ids.short10 })).toBe(1); // 10 days old: kept
    expect(await em().count(IdempotencyRecord, { id: [idemOld, idemNew] })).toBe(1);
    expect(await em().count(IdempotencyRecord, { id: idemNew })).toBe(1);
    expect(await em().count(CallbackDelivery, { id: [delivered, pending] })).toBe(1);
    expect(await em().count(CallbackDelivery, { id: pending })).toBe(1); // not delivered yet: still retried

    // Resumable and idempotent: the next run finds nothing left.
    expect(await runOnce(1)).toEqual({ redactMessages: 0, messageEvents: 0, callbackDeliveries: 0, idempotencyRecords: 0 });
  });
});
