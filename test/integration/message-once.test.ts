import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/domain/events.js';
import { ledgerSum } from '../../src/db/credits.js';
import { Message, MessageEvent } from '../../src/db/entities/index.js';
import * as store from '../../src/db/message-store.js';
import { sendMessage } from '../../src/messages/send.js';
import { readDeliveryReport } from '../../src/api/webhooks/status-callback.js';
import { applyDeliveryReport } from '../../src/messages/reports.js';
import { book, createFixture, setEvent, startEngineHarness, type EngineHarness } from '../support/engine.js';

const DAY = 24 * 3600_000;

/**
 * Every message once (issue 10): what a send does when the provider's answer is lost, when the
 * provider definitely refused, and when another attempt holds the message. Real PostgreSQL, the
 * real SDKs against a real SMTP server and the Twilio test server; the send is called as the
 * worker's attempts would call it (same activity, increasing attempt numbers).
 */
describe('Every message once: unknown outcomes, reconciliation, release, fencing', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
  }, 180_000);
  afterAll(() => h?.stop());

  /** A reminder prepared and paid for `channel`, not yet sent. */
  async function prepared(channel: Channel) {
    const f = await createFixture(h, { credits: 100, center: { priceEmail: 1, priceSmsSegment: 1, priceVoice: 1 } });
    await setEvent(h, f.center.id, 'appointment.created', []);
    const { appointment } = await book(h, f, { startInMs: 5 * DAY });
    await setEvent(h, f.center.id, 'appointment.reminder', [channel]);
    const [ready] = await h.activities.prepareAndDebit({
      centerId: f.center.id, appointmentId: appointment.id, eventKind: 'appointment.reminder',
      slot: `start:${appointment.startAt.toISOString()}`, dueAt: new Date().toISOString(), recipient: 'patient',
    });
    expect(ready?.state).toBe('ready');
    twilioFrom = h.twilio.messages.length;
    return { f, messageId: ready!.messageId };
  }

  const holder = (messageId: string) => `wf-${messageId}/run/1`;
  /** Attempt `n` of the send activity of this message. */
  const attempt = (messageId: string, n: number) => sendMessage(h.deps, messageId, { token: { holder: holder(messageId), attempt: n } });
  const row = (id: string) => h.db.orm.em.fork().findOneOrFail(Message, { id });
  const events = (id: string) =>
    h.db.orm.em.fork().find(MessageEvent, { messageId: id }, { orderBy: { createdAt: 'asc' } }).then((rows) => rows.map((e) => `${e.status}${e.detail ? `: ${e.detail}` : ''}`));
  /** Messages made at Twilio with this text since the test's message was prepared. */
  let twilioFrom = 0;
  const atTwilio = (body: string) => h.twilio.messages.slice(twilioFrom).filter((m) => m.body === body);

  it('SMS: Twilio accepts then drops the connection → unknown in the log; the next attempt finds it at Twilio and does not send it again', async () => {
    const { f, messageId } = await prepared('sms');
    h.twilio.failNext({ dropAfterAccept: true });
    await expect(attempt(messageId, 1)).rejects.toThrow();
    expect((await row(messageId)).status).toBe('unknown');
    await attempt(messageId, 2);
    const sent = await row(messageId);
    const made = atTwilio(sent.body!);
    expect(made).toHaveLength(1);
    expect(sent.status === 'sent' || sent.status === 'delivered').toBe(true);
    expect(sent.providerId).toBe(made[0]!.sid);
    const log = await events(messageId);
    expect(log.some((e) => e.startsWith('unknown'))).toBe(true);
    expect(log.some((e) => e.includes('found at the provider'))).toBe(true);
    expect(await ledgerSum(h.db.orm.em.fork(), f.center.id)).toBe(99); // debited once, not refunded
  });

  it('voice: a call accepted then dropped is found by the calls list and recorded with its CallSid; no second call', async () => {
    const { messageId } = await prepared('voice');
    const calls = h.twilio.calls.length;
    h.twilio.failNext({ dropAfterAccept: true });
    await expect(attempt(messageId, 1)).rejects.toThrow();
    expect((await row(messageId)).status).toBe('unknown');
    await attempt(messageId, 2);
    expect(h.twilio.calls.length).toBe(calls + 1);
    expect((await row(messageId)).providerId).toBe(h.twilio.calls.at(-1)!.sid);
  });

  it('SMS: the connection breaks before Twilio made anything → unknown; the lookup finds nothing, so it is sent, once', async () => {
    const { messageId } = await prepared('sms');
    h.twilio.failNext({ timeoutMs: 50 }); // the socket closes unanswered, no message made
    await expect(attempt(messageId, 1)).rejects.toThrow();
    expect((await row(messageId)).status).toBe('unknown');
    await attempt(messageId, 2);
    const sent = await row(messageId);
    expect(atTwilio(sent.body!)).toHaveLength(1);
    expect(sent.providerId).toBe(atTwilio(sent.body!)[0]!.sid);
  });

  it('SMS: Twilio answers 500 (nothing made) → the claim is released at once (scheduled, not sending), and the retry sends it', async () => {
    const { messageId } = await prepared('sms');
    h.twilio.failNext({ status: 500 });
    await expect(attempt(messageId, 1)).rejects.toThrow(/Twilio/);
    const released = await row(messageId);
    expect(released.status).toBe('scheduled');
    expect(released.leaseUntil).toBeNull();
    expect(await events(messageId)).toContainEqual(expect.stringMatching(/^retry: 20500/));
    await attempt(messageId, 2);
    expect(atTwilio((await row(messageId)).body!)).toHaveLength(1);
  });

  it('email: a 4xx before DATA releases the claim at once; the retry sends one mail', async () => {
    const { messageId } = await prepared('email');
    h.smtp.failNext({ code: 451, stage: 'rcpt' });
    await expect(attempt(messageId, 1)).rejects.toThrow(/451/);
    expect((await row(messageId)).status).toBe('scheduled');
    await attempt(messageId, 2);
    const mails = h.smtp.mails.filter((m) => m.parsed.messageId?.startsWith(`<${messageId}@`));
    expect(mails).toHaveLength(1);
    expect((await row(messageId)).possibleDuplicate).toBe(false);
  });

  it('email: the SMTP server drops the connection after DATA → unknown; resent once with the same Message-ID, and marked a possible duplicate', async () => {
    const { messageId } = await prepared('email');
    h.smtp.dropAfterData();
    await expect(attempt(messageId, 1)).rejects.toThrow();
    expect((await row(messageId)).status).toBe('unknown');
    await attempt(messageId, 2);
    const sent = await row(messageId);
    expect(sent.status).toBe('sent');
    expect(sent.possibleDuplicate).toBe(true);
    const mails = h.smtp.mails.filter((m) => m.parsed.messageId === `<${messageId}@clinic.test>`);
    expect(mails).toHaveLength(2); // the patient's mail client shows one: same Message-ID
    expect(await events(messageId)).toContainEqual(expect.stringContaining('possibly received twice'));
  });

  it('email: a resend that ends unknown too is not sent a third time: failed, outcome_unknown, credits kept (it may have arrived)', async () => {
    const { f, messageId } = await prepared('email');
    h.smtp.dropAfterData(2);
    await expect(attempt(messageId, 1)).rejects.toThrow();
    await expect(attempt(messageId, 2)).rejects.toThrow();
    await expect(attempt(messageId, 3)).rejects.toThrow(/sent twice without an answer/);
    const failed = await row(messageId);
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toBe('outcome_unknown');
    expect(h.smtp.mails.filter((m) => m.parsed.messageId?.startsWith(`<${messageId}@`))).toHaveLength(2);
    await h.activities.failMessage({ messageId, reason: 'outcome_unknown' }); // what the workflow does next
    expect(await ledgerSum(h.db.orm.em.fork(), f.center.id)).toBe(99);
  });

  it('fencing: a newer attempt of the same activity takes a claim over at once (a stranger cannot), and looks it up once the old call must have ended', async () => {
    const { messageId } = await prepared('sms');
    // Attempt 1 claimed it 1 s ago and stalled (its lease is still running).
    const em = h.db.orm.em.fork();
    expect(await store.claim(em, messageId, { holder: holder(messageId), attempt: 1 }, { from: ['scheduled'], leaseMs: 1_000 })).toBe(true);
    // Another activity (not a newer attempt of this one) cannot take it while the lease runs.
    expect(await store.takeOver(em, messageId, { holder: 'someone-else', attempt: 9 })).toBe(false);
    // Attempt 2 takes it over at once, then waits out the old lease before asking Twilio.
    expect(await store.takeOver(em, messageId, { holder: holder(messageId), attempt: 2 })).toBe(true);
    const leaseEnd = (await row(messageId)).leaseUntil!.getTime();
    await attempt(messageId, 2);
    const sent = await row(messageId);
    expect(sent.sentAt!.getTime()).toBeGreaterThanOrEqual(leaseEnd - 50);
    expect(atTwilio(sent.body!)).toHaveLength(1);
    expect(await events(messageId)).toContainEqual(expect.stringMatching(/^unknown/));
  });

  it('fencing: the old attempt, come back, cannot record over the new one (its token no longer holds the claim)', async () => {
    const { messageId } = await prepared('sms');
    const old = { holder: holder(messageId), attempt: 1 };
    expect(await store.claim(h.db.orm.em.fork(), messageId, old, { from: ['scheduled'], leaseMs: 60_000 })).toBe(true);
    await attempt(messageId, 2);
    expect(await store.renew(h.db.orm.em.fork(), messageId, old, 60_000)).toBe(false);
    expect(await store.markSent(h.db.orm.em.fork(), { id: messageId, secretRef: null, possibleDuplicate: false }, old, 'SM-stale')).toBe(false);
    expect((await row(messageId)).providerId).not.toBe('SM-stale');
  });

  it('two attempts at once (different workers): one provider call', async () => {
    const { messageId } = await prepared('sms');
    const results = await Promise.allSettled([
      sendMessage(h.deps, messageId, { token: { holder: 'worker-a', attempt: 1 } }),
      sendMessage(h.deps, messageId, { token: { holder: 'worker-b', attempt: 1 } }),
    ]);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(atTwilio((await row(messageId)).body!)).toHaveLength(1);
  });

  it('E1: a delivery report for an unknown send settles it (delivered); duplicates and a late "sent" change nothing; no resend follows', async () => {
    const { messageId } = await prepared('sms');
    h.twilio.setStatusCallbackDelay(60_000); // the test posts the reports itself
    try {
      h.twilio.failNext({ dropAfterAccept: true });
      await expect(attempt(messageId, 1)).rejects.toThrow();
      const sid = h.twilio.messages.at(-1)!.sid;
      const report = (status: string) => readDeliveryReport({ MessageSid: sid, MessageStatus: status })!;
      const em = h.db.orm.em.fork();
      expect(await applyDeliveryReport(em, messageId, report('delivered'), new Date())).toBe(true);
      expect(await applyDeliveryReport(em, messageId, report('delivered'), new Date())).toBe(false);
      expect(await applyDeliveryReport(em, messageId, report('sent'), new Date())).toBe(false);
      const settled = await row(messageId);
      expect(settled.status).toBe('delivered');
      expect(settled.providerId).toBe(sid);
      expect(await attempt(messageId, 2)).toMatchObject({ status: 'already_sent' });
      expect(atTwilio(settled.body!)).toHaveLength(1);
    } finally {
      h.twilio.setStatusCallbackDelay(20);
    }
  });
});
