import { describe, expect, it } from 'vitest';
import { preparedFate } from '../../src/domain/prepared.js';

const MIN = 60_000;
const now = Date.parse('2026-12-01T08:55:00Z');
const due = now + 5 * MIN; // prepared for 09:00, five minutes from now

describe('preparedFate: a message prepared ahead, when the workflow plans again', () => {
  it('B2-rem: the same step at the same time from unchanged data is kept and sent then', () => {
    expect(preparedFate({ preparedAt: due, step: { at: due }, now, changed: false })).toEqual({ kind: 'keep' });
  });

  it('B2-rem: at the due instant the plan says "now", a little after the prepared time: still kept', () => {
    const wokeAt = due + 40;
    expect(preparedFate({ preparedAt: due, step: { at: wokeAt }, now: wokeAt, changed: false })).toEqual({ kind: 'keep' });
  });

  it('X3: a new time (lead time changed, appointment moved within its slot) → released as superseded, prepared again', () => {
    expect(preparedFate({ preparedAt: due, step: { at: due + 30 * MIN }, now, changed: false })).toEqual({ kind: 'release', reason: 'superseded', done: false });
  });

  it('X3: the appointment or the settings changed, same time → released (its text may be stale), prepared again', () => {
    expect(preparedFate({ preparedAt: due, step: { at: due }, now, changed: true })).toEqual({ kind: 'release', reason: 'superseded', done: false });
  });

  it('B2-rem: the plan no longer has the step (moved to another slot) → released as superseded', () => {
    expect(preparedFate({ preparedAt: due, step: undefined, now, changed: true })).toEqual({ kind: 'release', reason: 'superseded', done: false });
  });

  it('B2-rem E1: the appointment was cancelled → released as cancelled, done (not superseded)', () => {
    expect(preparedFate({ preparedAt: due, step: undefined, now, changed: true, cancelled: true })).toEqual({ kind: 'release', reason: 'cancelled', done: true });
  });

  it('X2: the worker was down past the visit, so the plan now skips it as expired → released with that reason, done', () => {
    const back = due + 2 * 3600_000;
    expect(preparedFate({ preparedAt: due, step: { at: due, skip: 'expired' }, now: back, changed: false })).toEqual({ kind: 'release', reason: 'expired', done: true });
  });

  it('B2-second: the patient confirmed while the second reminder was prepared → released as already_confirmed, done', () => {
    expect(preparedFate({ preparedAt: due, step: { at: due, skip: 'already_confirmed' }, now, changed: false })).toEqual({
      kind: 'release',
      reason: 'already_confirmed',
      done: true,
    });
  });
});
