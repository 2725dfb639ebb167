import { writeFileSync } from 'node:fs';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/api/app.js';
import { Center } from '../../src/db/entities/index.js';
import { fanoutProgress } from '../../src/db/policy-fanouts.js';
import { appointmentWorkflowId } from '../../src/workflows/definitions.js';
import { callOk } from '../support/api.js';
import { eventually, policyFanoutDone, serverNow, startEngineHarness, type EngineHarness } from '../support/engine.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const PLATFORM_KEY = 'platform-key-for-the-pacing-test-0123456789';
/** The settings fan-out's pace, shrunk so that 8 appointments span 4 chunks. */
const PACING = { concurrency: 2, ahead: 1 };

/**
 * X3 at size (#8): a settings change must not queue every appointment's re-plan on the worker at
 * once (queued re-plans outlived the sticky queue's timeout and replayed). The real Temporal dev
 * server, as in production: the time-skipping test server does not report pending workflow tasks.
 */
describe('e2e: the settings fan-out keeps pace with the worker', () => {
  let h: EngineHarness;
  let app: App;

  beforeAll(async () => {
    h = await startEngineHarness({ timeSkipping: false, fanoutPacing: PACING });
    app = createApp({ orm: h.db.orm, engine: h.engine, config: { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: 'http://127.0.0.1:9' } });
  }, 180_000);
  afterAll(() => h?.stop());

  const call = (key: string, method: string, path: string, body?: unknown) => callOk(app, key, method, path, body);

  it('X3 paced: the fan-out signals the next chunk only once the appointments signalled before it have re-planned, each in one task without a policy read', async () => {
    const other = await call(PLATFORM_KEY, 'POST', '/v1/centers', { name: 'Centro Passo' });
    const [otherAdmin, otherBooking, otherId] = [other.body.keys.admin.key, other.body.keys.booking.key, other.body.center.id as string];
    await call(PLATFORM_KEY, 'POST', '/v1/credits/top-ups', { centerId: otherId, amount: 100, note: 'test' });
    for (const kind of ['appointment.created', 'resource.new_appointment']) await call(otherAdmin, 'PUT', `/v1/event-settings/${kind}`, { channels: [] });
    await call(otherAdmin, 'PUT', '/v1/event-settings/appointment.reminder', { channels: ['email'], options: { leadMinutes: 1440 } });
    await call(otherBooking, 'PUT', '/v1/patients/P-2', { firstName: 'Bruno', lastName: 'Neri', email: 'bruno.neri@example.com', privacyConsent: true });
    await call(otherBooking, 'PUT', '/v1/resources/R-2', { name: 'Dott. Gallo' });
    const now = (await serverNow(h)).getTime();
    const starts = Array.from({ length: 8 }, (_, i) => new Date(now + 3 * DAY + i * HOUR));
    for (const [i, start] of starts.entries()) {
      await call(otherBooking, 'PUT', `/v1/appointments/PACE-${i}`, { revision: 1, patientId: 'P-2', resourceId: 'R-2', startAt: start.toISOString(), endAt: new Date(start.getTime() + 30 * MIN).toISOString() });
    }
    const reminderOf = async (i: number) => {
      const { body } = await call(otherBooking, 'GET', `/v1/appointments/PACE-${i}/timeline`);
      const entry = (body.entries as { eventKind: string; state: string; at: string }[]).find((e) => e.eventKind === 'appointment.reminder' && e.state === 'planned');
      return entry ? Date.parse(entry.at) : null;
    };
    for (const [i, start] of starts.entries()) await eventually(() => reminderOf(i), (at) => at === start.getTime() - DAY);

    await call(otherAdmin, 'PUT', '/v1/event-settings/appointment.reminder', { channels: ['email'], options: { leadMinutes: 120 } });
    await policyFanoutDone(h, otherId);
    // #14: the run's progress row, which the console polls, says how many it told.
    const version = (await h.db.orm.em.fork().findOneOrFail(Center, { id: otherId })).settingsVersion;
    expect(await fanoutProgress(h.db.orm.em.fork(), otherId, version)).toEqual({ settingsVersion: version, state: 'done', total: 8, signalled: 8 });
    for (const [i, start] of starts.entries()) expect(await eventually(() => reminderOf(i), (at) => at === start.getTime() - 2 * HOUR), `PACE-${i}`).toBe(start.getTime() - 2 * HOUR);

    // From the histories, in the fan-out's order (by id): when each heard the change, and when it acted on it.
    const ids = (await h.db.orm.em.fork().execute<{ id: string }[]>(`select id from appointments where center_id = ? order by id`, [otherId])).map((r) => r.id);
    const heard = await Promise.all(
      ids.map(async (id) => {
        const events = (await h.env.client.workflow.getHandle(appointmentWorkflowId(otherId, id)).fetchHistory()).events ?? [];
        const at = events.findLastIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'policyChanged');
        const after = events.slice(at + 1);
        const done = after.find((e) => e.workflowTaskCompletedEventAttributes);
        // #8: the signal carries the center's policy: re-planned in one task, without reading it.
        expect(after.filter((e) => e.workflowTaskCompletedEventAttributes), id).toHaveLength(1);
        expect(after.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'), id).toEqual([]);
        return { signalledAt: tsToMs(events[at]!.eventTime!), actedAt: tsToMs(done!.eventTime!) };
      }),
    );
    const chunks = Array.from({ length: Math.ceil(ids.length / PACING.concurrency) }, (_, c) => heard.slice(c * PACING.concurrency, (c + 1) * PACING.concurrency));
    for (let c = PACING.ahead + 1; c < chunks.length; c++) {
      const probe = chunks[c - PACING.ahead - 1]!.at(-1)!; // the last of the chunk `ahead + 1` before
      expect(Math.min(...chunks[c]!.map((x) => x.signalledAt)), `chunk ${c}`).toBeGreaterThanOrEqual(probe.actedAt);
    }
    if (process.env.UPDATE_HISTORIES) {
      // The replay test's guard for the policy-in-signal patch (test/workflows/replay.test.ts);
      // appointment-policy-read.binpb was recorded so by the code before it (UPDATE_HISTORIES_AS).
      const history = await h.env.client.workflow.getHandle(appointmentWorkflowId(otherId, ids[0]!)).fetchHistory();
      writeFileSync(process.env.UPDATE_HISTORIES_AS ?? 'test/histories/appointment-policy-in-signal.binpb', temporal.api.history.v1.History.encode(history).finish());
    }
  });
});
