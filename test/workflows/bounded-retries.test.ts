import { DriverException } from '@mikro-orm/core';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFailure, errorForLog } from '../../src/activities/failures.js';
import { ResourceAlert } from '../../src/db/entities/index.js';
import { alertWorkflowId } from '../../src/workflows/definitions.js';
import { createFixture, startEngineHarness, type EngineHarness } from '../support/engine.js';

describe('bounded retries: bad input cannot make a workflow retry forever', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
  }, 180_000);
  afterAll(() => h?.stop());

  it('B4: an alert stored with day 0042-01-01 fails after one attempt, non-retryable, naming the error class', async () => {
    const f = await createFixture(h);
    const em = h.db.orm.em.fork();
    // As one stored before the API checked the year range.
    const alert = em.create(ResourceAlert, { centerId: f.center.id, resourceId: f.resource.id, day: '0042-01-01', kind: 'absence' });
    await em.flush();
    await h.engine.resourceAlert({ centerId: f.center.id, alertId: alert.id, resourceId: f.resource.id, day: alert.day, kind: 'absence', delayMinutes: null });
    const handle = h.env.client.workflow.getHandle(alertWorkflowId(f.center.id, alert.id));
    const error = await handle.result().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const activity = (error as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const cause = (activity as ActivityFailure).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'RangeError', nonRetryable: true });
    expect((cause as ApplicationFailure).message).toContain('0042-01-01');
    // One attempt: the history has exactly one start of that activity, attempt 1.
    const history = await handle.fetchHistory();
    const starts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.activityTaskStartedEventAttributes!.attempt).toBe(1);
  });

  it('X5: a database error leaves an activity with its SQLSTATE only: data errors are permanent, others retried; never the statement’s values', () => {
    const tooLong = classifyFailure(new DriverException(Object.assign(new Error('insert ... values (\'Maria Rossi\') - value too long'), { code: '22001' })));
    expect(tooLong).toBeInstanceOf(ApplicationFailure);
    expect(tooLong).toMatchObject({ nonRetryable: true, message: 'database error (SQLSTATE 22001)' });
    const down = classifyFailure(new DriverException(Object.assign(new Error('connect ECONNREFUSED while inserting Maria Rossi'), { code: '57P01' })));
    expect(down).toMatchObject({ nonRetryable: false, message: 'database error (SQLSTATE 57P01)' });
    const provider = ApplicationFailure.nonRetryable('invalid number', 'provider_permanent');
    expect(classifyFailure(provider)).toBe(provider);
    const network = new TypeError('fetch failed');
    expect(classifyFailure(network)).toBe(network); // retryable as before
    // In logs an error is its class and message, not `{}`.
    expect(JSON.parse(JSON.stringify({ error: errorForLog(new RangeError('day: not a yyyy-mm-dd date: "0042-01-01"')) }))).toEqual({
      error: { type: 'RangeError', message: 'day: not a yyyy-mm-dd date: "0042-01-01"' },
    });
    expect(JSON.stringify(errorForLog(new DriverException(Object.assign(new Error('values (Maria Rossi)'), { code: '22001' }))))).not.toContain('Maria');
  });
});
