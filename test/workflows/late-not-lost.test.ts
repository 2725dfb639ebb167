import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { book, createFixture, eventually, messagesOf, setEvent, startEngineHarness, summary, type EngineHarness } from '../support/engine.js';

const SECOND = 1000;
const MIN = 60 * SECOND;

/**
 * X2 needs a real outage: the time-skipping server does not advance time while a workflow task
 * waits for a worker, so this file runs on the dev server in real time with short due times.
 */
describe('X2 late, not lost (dev server, real time)', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timeSkipping: false });
  }, 180_000);
  afterAll(() => h?.stop());

  it('X2: a message due during an outage goes out afterwards while useful, and is listed as expired when not', async () => {
    const f = await createFixture(h);
    await setEvent(h, f.center.id, 'appointment.reminder', ['email'], { leadMinutes: 15 });
    let late!: Awaited<ReturnType<typeof book>>;
    let expired!: Awaited<ReturnType<typeof book>>;
    await h.withWorkersDown(async () => {
      // Reminder due in 2 s, visit in 15 min 2 s: still useful after a 5 s outage.
      late = await book(h, f, { startInMs: 15 * MIN + 2 * SECOND });
      // Visit in 2 s: its booking confirmation is useless once the system is back.
      expired = await book(h, f, { startInMs: 2 * SECOND });
      await new Promise((r) => setTimeout(r, 5 * SECOND));
    });
    const lateLines = await eventually(async () => summary(await messagesOf(h, late.appointment.id)), (l) => l.includes('appointment.reminder:email:sent'));
    expect(lateLines).toEqual(['appointment.created:email:sent', 'appointment.reminder:email:sent']);
    const expiredLines = await eventually(async () => summary(await messagesOf(h, expired.appointment.id)), (l) => l.length > 0);
    expect(expiredLines).toContain('appointment.created:email:skipped:expired');
    expect(expiredLines.some((l) => l.endsWith(':sent'))).toBe(false);
  });
});
