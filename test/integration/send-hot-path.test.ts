import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerSum } from '../../src/db/credits.js';
import { Center, Message, OptOut, Patient } from '../../src/db/entities/index.js';
import { optOutHash } from '../../src/db/opt-out-hash.js';
import { openOrm } from '../../src/db/orm.js';
import { sendMessage } from '../../src/messages/send.js';
import { book, createFixture, setEvent, startEngineHarness, type EngineHarness, type Fixture } from '../support/engine.js';

const DAY = 24 * 3600_000;

/**
 * #13: a due email, sent as the workflow sends it (the channel known from preparation), costs
 * two statements: the claim, which also checks the master switch, opt-outs and erasure, and the
 * `sent` mark. What the checks guard must still hold on that path: nothing goes out to an
 * opted-out (also hashed) or erased recipient or with communications off, and it is refunded.
 */
describe('the send of a due email: checks folded into the claim', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness();
  }, 180_000);
  afterAll(() => h?.stop());

  async function preparedEmail(): Promise<{ f: Fixture; messageId: string }> {
    const f = await createFixture(h, { credits: 100, center: { priceEmail: 1 } });
    await setEvent(h, f.center.id, 'appointment.created', []);
    const { appointment } = await book(h, f, { startInMs: 5 * DAY });
    await setEvent(h, f.center.id, 'appointment.reminder', ['email']);
    const [ready] = await h.activities.prepareAndDebit({
      centerId: f.center.id, appointmentId: appointment.id, eventKind: 'appointment.reminder',
      slot: `start:${appointment.startAt.toISOString()}`, dueAt: new Date().toISOString(), recipient: 'patient',
    });
    expect(ready?.state).toBe('ready');
    return { f, messageId: ready!.messageId };
  }

  const send = (messageId: string) => sendMessage(h.deps, messageId, { token: { holder: `wf-${messageId}/run/1`, attempt: 1 }, channel: 'email' });
  const mailsOf = (messageId: string) => h.smtp.mails.filter((m) => m.parsed.messageId === `<${messageId}@clinic.test>`);
  const row = (id: string) => h.db.orm.em.fork().findOneOrFail(Message, { id });

  /** SQL statements the send makes: it runs on an ORM of its own, so the harness's worker and relay are not counted. */
  async function statementsOfSend(messageId: string): Promise<number> {
    const own = await openOrm(h.db.url);
    try {
      const connection = own.em.getConnection() as unknown as { executeQuery: (...args: unknown[]) => Promise<unknown> };
      const original = connection.executeQuery;
      let count = 0;
      connection.executeQuery = function (this: unknown, ...args: unknown[]) {
        // A slow machine may renew the claim's lease mid-send: not a step of the path.
        if (!/^\s*update messages set lease_until/.test(String(args[0]))) count += 1;
        return original.apply(this, args);
      };
      await sendMessage({ ...h.deps, orm: own }, messageId, { token: { holder: `wf-${messageId}/run/1`, attempt: 1 }, channel: 'email' });
      return count;
    } finally {
      await own.close();
    }
  }

  it('a due email goes out once in two statements (claim with its checks, then sent), with its center, text and log', async () => {
    const { messageId } = await preparedEmail();
    expect(await statementsOfSend(messageId)).toBe(2);
    const [mail] = mailsOf(messageId);
    expect(mailsOf(messageId)).toHaveLength(1);
    const sent = await row(messageId);
    expect(sent.status).toBe('sent');
    expect(mail!.parsed.text).toContain(sent.body!.slice(0, 20));
    expect(mail!.parsed.to).toEqual(expect.objectContaining({ text: expect.stringContaining(sent.recipientAddress!) }));
    // A second attempt of a sent message sends nothing more.
    expect(await send(messageId)).toEqual({ status: 'already_sent', sentAt: sent.sentAt!.toISOString() });
    expect(mailsOf(messageId)).toHaveLength(1);
  });

  it('opted out by the email link (plain address), or kept only as the hash an erasure leaves: skipped, refunded, no mail', async () => {
    for (const hashed of [false, true]) {
      const { f, messageId } = await preparedEmail();
      const address = (await row(messageId)).recipientAddress!;
      const em = h.db.orm.em.fork();
      em.create(OptOut, { centerId: f.center.id, channel: 'email', address: hashed ? optOutHash(f.center.id, address) : address, source: 'email_link' });
      await em.flush();
      await send(messageId);
      expect(mailsOf(messageId)).toHaveLength(0);
      expect(await row(messageId)).toMatchObject({ status: 'skipped', skipReason: 'opted_out' });
      expect(await ledgerSum(h.db.orm.em.fork(), f.center.id)).toBe(100);
    }
  });

  it('communications switched off, the patient opted out of email, or erased: skipped with that reason, no mail', async () => {
    const cases: [string, (f: Fixture) => Promise<void>][] = [
      ['master_off', (f) => h.db.orm.em.fork().nativeUpdate(Center, { id: f.center.id }, { communicationsEnabled: false }).then(() => undefined)],
      ['opted_out', (f) => h.db.orm.em.fork().nativeUpdate(Patient, { id: f.patient.id }, { optedOutChannels: ['email'] }).then(() => undefined)],
      ['erased', (f) => h.db.orm.em.fork().nativeUpdate(Patient, { id: f.patient.id }, { erasedAt: new Date() }).then(() => undefined)],
    ];
    for (const [reason, block] of cases) {
      const { f, messageId } = await preparedEmail();
      await block(f);
      await send(messageId);
      expect(mailsOf(messageId), reason).toHaveLength(0);
      expect(await row(messageId), reason).toMatchObject({ status: 'skipped', skipReason: reason });
    }
  });

  it('a 4xx before DATA on this path releases the claim at once; the retry sends one mail', async () => {
    const { messageId } = await preparedEmail();
    h.smtp.failNext({ code: 451, stage: 'rcpt' });
    await expect(send(messageId)).rejects.toThrow(/451/);
    expect((await row(messageId)).status).toBe('scheduled');
    await sendMessage(h.deps, messageId, { token: { holder: `wf-${messageId}/run/1`, attempt: 2 }, channel: 'email' });
    expect(mailsOf(messageId)).toHaveLength(1);
  });
});
