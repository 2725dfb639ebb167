import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/api/app.js';
import { AesGcmPayloadCodec } from '../../src/engine/payload-codec.js';
import type { SecretKey } from '../../src/keyring.js';
import { appointmentWorkflowId } from '../../src/workflows/definitions.js';
import { book, createFixture, eventually, messagesOf, setEvent, startEngineHarness, summary, type EngineHarness } from '../support/engine.js';
import { readableText } from '../support/history-scan.js';

const DAY = 24 * 3600_000;
const PLATFORM_KEY = 'platform-key-for-the-codec-test-0123456789';
const UI_ORIGIN = 'http://localhost:8233';
const k1: SecretKey = { id: 'p1', secret: 'first-payload-key-0123456789abcdef01234567' };
const k2: SecretKey = { id: 'p2', secret: 'second-payload-key-0123456789abcdef0123456' };

/**
 * Every payload of a raw history, except search attributes (the server indexes those: ids only)
 * and the SDK's own marker records, which it writes without the codec: a local activity's
 * (`details.data`: sequence, attempt, activity id and type, times) and a patch's
 * (`details.patch-data`: the patch's name).
 */
const SDK_MARKER_RECORDS = new Set(['data', 'patch-data']);
function payloadsOf(value: unknown, found: Payload[] = [], parentKey = ''): Payload[] {
  if (value === null || typeof value !== 'object') return found;
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && record.metadata && typeof record.metadata === 'object') found.push(record as Payload);
  for (const [key, child] of Object.entries(record)) {
    if (key === 'searchAttributes' || (parentKey === 'details' && SDK_MARKER_RECORDS.has(key))) continue;
    payloadsOf(child, found, key);
  }
  return found;
}
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

describe('X7: encrypted Temporal payloads', () => {
  let h: EngineHarness;
  let app: App;
  beforeAll(async () => {
    h = await startEngineHarness({ payloadKeys: [k2, k1] });
    app = createApp({
      orm: h.db.orm,
      engine: h.engine,
      config: { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: 'http://127.0.0.1:9' },
      codec: { codec: new AesGcmPayloadCodec([k2, k1]), corsOrigins: [UI_ORIGIN] },
    });
  }, 180_000);
  afterAll(() => h?.stop());

  /** The history as the server stores it, read by a client without the codec. */
  const rawHistory = (workflowId: string) => new Client({ connection: h.env.connection }).workflow.getHandle(workflowId).fetchHistory();

  it('X7: with encryption on the saga still sends, and the raw history holds no plaintext payload, failure messages included', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.created', ['email', 'sms']);
    h.twilio.failNext({ status: 400, code: 21211 }); // the SMS fails: a failure lands in the history
    const { appointment } = await book(h, f, { startInMs: 3 * DAY });
    const lines = await eventually(async () => summary(await messagesOf(h, appointment.id)), (l) => l.includes('appointment.created:email:sent') && l.some((x) => x.startsWith('appointment.created:sms:failed')));
    expect(lines).toContain('appointment.created:email:sent'); // worker and client both decode: the whole saga ran
    await eventually(async () => h.smtp.mails.filter((m) => m.envelope.to.includes(f.patient.email!)), (m) => m.length === 1);

    const history = await rawHistory(appointmentWorkflowId(f.center.id, appointment.id));
    const payloads = payloadsOf(history);
    expect(payloads.length).toBeGreaterThan(3);
    for (const p of payloads) {
      expect(text(p.metadata?.encoding)).toBe('binary/encrypted');
      expect(text(p.metadata?.['encryption-key-id'])).toBe('p2'); // the newest key encrypts
    }
    // The workflow input (the appointment snapshot) names the appointment: not readable in any payload.
    expect(payloads.map((p) => text(p.data)).join('\n')).not.toContain(appointment.id);
    // A patch marker stays readable (Temporal's own record) and holds the patch's name only.
    const patchRecords = (history.events ?? []).flatMap((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? []);
    expect(patchRecords.map((p) => Object.keys(JSON.parse(text(p.data)) as object).sort())).toEqual(patchRecords.map(() => ['deprecated', 'id']));
    const failures = (history.events ?? []).flatMap((e) => (e.activityTaskFailedEventAttributes?.failure ? [e.activityTaskFailedEventAttributes.failure] : []));
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure.message).toBe('Encoded failure');
      expect(failure.stackTrace ?? '').toBe('');
      expect(text(failure.encodedAttributes?.metadata?.encoding)).toBe('binary/encrypted');
    }
    expect(readableText(history)).not.toContain(f.patient.mobile!);
  });

  it('X7: operators decode a raw payload through the codec endpoint (platform key; CORS for the Web UI origin)', async () => {
    const f = await createFixture(h);
    const { appointment } = await book(h, f, { startInMs: 3 * DAY });
    const history = await rawHistory(appointmentWorkflowId(f.center.id, appointment.id));
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    expect(input).toBeDefined();
    const asJson = (p: Payload) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    });
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    const decoded = await post('/codec/decode', { payloads: [asJson(input!)] }, { authorization: `Bearer ${PLATFORM_KEY}`, origin: UI_ORIGIN });
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const [plain] = ((await decoded.json()) as { payloads: unknown[] }).payloads as { metadata: Record<string, string>; data: string }[];
    expect(Buffer.from(plain!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(plain!.data, 'base64').toString())).toMatchObject({ snapshot: { appointmentId: appointment.id, centerId: f.center.id } });

    // Encode then decode round-trips; no key, a wrong key or a bad body changes nothing.
    const encoded = (await (await post('/codec/encode', { payloads: [plain] }, { authorization: `Bearer ${PLATFORM_KEY}` })).json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect((await post('/codec/decode', { payloads: [asJson(input!)] })).status).toBe(401);
    expect((await post('/codec/decode', { payloads: [asJson(input!)] }, { authorization: 'Bearer ck_admin_not-the-platform-key' })).status).toBe(401);
    const bad = await post('/codec/decode', { payloads: [{ data: 'not base64!' }] }, { authorization: `Bearer ${PLATFORM_KEY}` });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');

    // The Web UI's preflight is answered for its origin only.
    const preflight = (origin: string) =>
      app.request('/codec/decode', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect((await preflight(UI_ORIGIN)).headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('X7: keys rotate: what the old key encrypted still decodes once a new key is first; a dropped key is named, not guessed', async () => {
    const [sealed] = await new AesGcmPayloadCodec([k1]).encode([{ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('{"a":1}') }]);
    const [opened] = await new AesGcmPayloadCodec([k2, k1]).decode([sealed!]);
    expect(text(opened!.data)).toBe('{"a":1}');
    await expect(new AesGcmPayloadCodec([k2]).decode([sealed!])).rejects.toThrow(/key "p1", which is not configured/);
  });
});
