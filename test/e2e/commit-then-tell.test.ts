import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/api/app.js';
import { callOk } from '../support/api.js';
import { eventually, policyFanoutDone, serverNow, startEngineHarness, type EngineHarness } from '../support/engine.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const PLATFORM_KEY = 'platform-key-for-the-outbox-test-0123456789';
/** Every write stays uncommitted this long after its handler returned: the race made certain. */
const SLOW_COMMIT_MS = 400;
/** B1: how long the move stays uncommitted at most, waiting for the engine to act on it meanwhile. */
const NOTICE_WINDOW_MS = 10_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Commit first, then the engine (issue #8): each write request that runs in a transaction waits
 * SLOW_COMMIT_MS between its handler and its commit (a single appointment PUT has no such gap: it
 * writes the row and its command in one statement).
 * Had the engine been told before the commit (as it was), the workflows would wake during that
 * wait and read the old rows; through the outbox they are told only after.
 */
describe('e2e: the engine hears of a change only after it is committed', () => {
  let h: EngineHarness;
  let app: App;
  let admin: string;
  let booking: string;
  let centerId: string;
  /** What every write request waits for before its commit; a test may hold its commit longer. */
  let holdCommit = () => sleep(SLOW_COMMIT_MS);

  beforeAll(async () => {
    h = await startEngineHarness();
    app = createApp({
      orm: h.db.orm,
      engine: h.engine,
      config: { PLATFORM_API_KEY: PLATFORM_KEY, PUBLIC_BASE_URL: 'http://127.0.0.1:9' },
      beforeCommit: () => holdCommit(),
    });
    const created = await call(PLATFORM_KEY, 'POST', '/v1/centers', { name: 'Centro Lento' });
    admin = created.body.keys.admin.key;
    booking = created.body.keys.booking.key;
    centerId = created.body.center.id;
    await call(PLATFORM_KEY, 'POST', '/v1/credits/top-ups', { centerId, amount: 1000, note: 'test' });
    for (const kind of ['appointment.created', 'resource.new_appointment']) await call(admin, 'PUT', `/v1/event-settings/${kind}`, { channels: [] });
    await call(booking, 'PUT', '/v1/patients/P-1', { firstName: 'Anna', lastName: 'Riva', email: 'anna.riva@example.com', privacyConsent: true });
    await call(booking, 'PUT', '/v1/resources/R-1', { name: 'Dott. Bassi' });
  }, 180_000);
  afterAll(() => h?.stop());

  const call = (key: string, method: string, path: string, body?: unknown) => callOk(app, key, method, path, body);

  const bookAt = (id: string, start: Date, revision = 1) =>
    call(booking, 'PUT', `/v1/appointments/${id}`, {
      revision,
      patientId: 'P-1',
      resourceId: 'R-1',
      startAt: start.toISOString(),
      endAt: new Date(start.getTime() + 30 * MIN).toISOString(),
    });

  /** When the workflow now plans the reminder (null while it plans none). */
  async function plannedReminder(id: string): Promise<number | null> {
    const { body } = await call(booking, 'GET', `/v1/appointments/${id}/timeline`);
    const entry = (body.entries as { eventKind: string; state: string; at: string }[]).find((e) => e.eventKind === 'appointment.reminder' && e.state === 'planned');
    return entry ? Date.parse(entry.at) : null;
  }

  const mailsTo = (address: string) => h.smtp.mails.filter((m) => m.envelope.to.includes(address));

  /** Anna got a mail after the first `before`, or some statement waits for a lock (a request's uncommitted row). */
  const engineActed = (before: number) => async () => {
    if (mailsTo('anna.riva@example.com').length > before) return true;
    const [waiting] = await h.db.orm.em.fork().execute<{ n: number }[]>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    return waiting!.n > 0;
  };

  it('X3: a new reminder lead reaches every one of 12 booked appointments, re-planned at the new time', async () => {
    await call(admin, 'PUT', '/v1/event-settings/appointment.reminder', { channels: ['email'], options: { leadMinutes: 1440 } });
    const now = (await serverNow(h)).getTime();
    const starts = Array.from({ length: 12 }, (_, i) => new Date(now + 3 * DAY + i * HOUR));
    for (const [i, start] of starts.entries()) await bookAt(`X3-${i}`, start);
    for (const [i, start] of starts.entries()) {
      expect(await eventually(() => plannedReminder(`X3-${i}`), (at) => at === start.getTime() - DAY)).toBe(start.getTime() - DAY);
    }

    await call(admin, 'PUT', '/v1/event-settings/appointment.reminder', { channels: ['email'], options: { leadMinutes: 120 } });
    for (const [i, start] of starts.entries()) {
      expect(await eventually(() => plannedReminder(`X3-${i}`), (at) => at === start.getTime() - 2 * HOUR), `appointment X3-${i}`).toBe(start.getTime() - 2 * HOUR);
    }
  });

  it('B1: the "modified" notice tells the new time, not the one before the change', async () => {
    await call(admin, 'PUT', '/v1/event-settings/appointment.modified', { channels: ['email'] });
    const start = DateTime.fromMillis((await serverNow(h)).getTime() + 5 * DAY, { zone: 'Europe/Rome' }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    await bookAt('MOD-1', start.toJSDate());
    const before = mailsTo('anna.riva@example.com').length;
    // A PUT now writes the row and its outbox command in one autocommit statement
    // (src/db/appointment-statements.ts): there is no gap between them for the hold below to widen,
    // and the relay hears the NOTIFY only at that statement's commit. The hold stays for any write
    // that goes through the request's transaction: the move would stay uncommitted until the engine
    // acted on it (its notice sent, or a statement of the workflow's waiting on the locked row), or
    // NOTICE_WINDOW_MS passed. Either way the notice must be rendered from the committed 11:00.
    holdCommit = async () => void (await eventually(engineActed(before), (acted) => acted, NOTICE_WINDOW_MS));
    try {
      await bookAt('MOD-1', start.plus({ hours: 2 }).toJSDate(), 2);
    } finally {
      holdCommit = () => sleep(SLOW_COMMIT_MS);
    }
    const mails = await eventually(async () => mailsTo('anna.riva@example.com'), (m) => m.length > before);
    const notice = mails.at(-1)!;
    expect(notice.parsed.subject).toContain('11:00');
    expect(notice.parsed.text).toContain('11:00');
    expect(notice.parsed.text).not.toContain('09:00');
  });

  it('A4 X3: a template changed while a reminder is already prepared and paid goes out in the new words', async () => {
    await call(admin, 'PUT', '/v1/event-settings/appointment.modified', { channels: [] });
    await call(admin, 'PUT', '/v1/event-settings/appointment.reminder', { channels: ['email'], options: { leadMinutes: 60 } });
    // Due in 5 minutes: prepared and paid ahead at booking, with the template of that moment.
    const start = new Date((await serverNow(h)).getTime() + 65 * MIN);
    await bookAt('TPL-1', start);
    await eventually(() => plannedReminder('TPL-1'), (at) => at === start.getTime() - HOUR);
    const before = mailsTo('anna.riva@example.com').length;
    await call(admin, 'PUT', '/v1/templates/appointment.reminder/email/it', { subject: 'Promemoria nuovo per [TRD3]', body: 'TESTO NUOVO: [TRD3], ci vediamo alle [TRD9].' });
    await policyFanoutDone(h, centerId);
    await h.env.sleep(10 * MIN);
    const mails = await eventually(async () => mailsTo('anna.riva@example.com'), (m) => m.length > before);
    expect(mails.slice(before).map((m) => m.parsed.subject)).toEqual(['Promemoria nuovo per Anna']);
    expect(mails.at(-1)!.parsed.text).toContain('TESTO NUOVO: Anna');
  });

  it('B1: a batch of 25 through POST /v1/appointments:batch: the relay starts every workflow after the commit, each planned from its committed row', async () => {
    await call(admin, 'PUT', '/v1/event-settings/appointment.reminder', { channels: ['email'], options: { leadMinutes: 1440 } });
    await policyFanoutDone(h, centerId);
    const now = (await serverNow(h)).getTime();
    const starts = Array.from({ length: 25 }, (_, i) => new Date(now + 4 * DAY + i * HOUR));
    const items = starts.map((start, i) => ({ id: `BATCH-${i}`, revision: 1, patientId: 'P-1', resourceId: 'R-1', startAt: start.toISOString(), endAt: new Date(start.getTime() + 30 * MIN).toISOString() }));
    const res = await call(booking, 'POST', '/v1/appointments:batch', { items });
    expect(res.body.created).toBe(25);
    for (const [i, start] of starts.entries()) {
      expect(await eventually(() => plannedReminder(`BATCH-${i}`), (at) => at === start.getTime() - DAY), `appointment BATCH-${i}`).toBe(start.getTime() - DAY);
    }
  });
});
