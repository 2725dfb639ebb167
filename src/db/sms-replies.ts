import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { optOutHash } from './opt-out-hash.js';

/**
 * X1 and B2-confirm: what an inbound SMS (From = the patient, To = our number) may act on. The
 * To number is the scope: a reply only reaches the messages that went out FROM that number
 * (`messages.sender`), and a STOP only the centers behind it. Rows sent before the sender was
 * recorded have a null sender: they came from the platform's default number, so they match a
 * To number that no center has as its own.
 */

/** Whether `to` is none of the centers' own numbers (then a null sender may have been it). */
const UNOWNED_TO = `not exists (select 1 from centers o where o.sms_sender_id = :to or o.voice_caller_number = :to)`;
const SENT_FROM_TO = `(m.sender = :to or (m.sender is null and ${UNOWNED_TO}))`;

export interface OpenQuestion {
  messageId: string;
  centerId: string;
  appointmentId: string;
  locale: string;
  startAt: Date;
  timeZone: string;
}

/**
 * The open questions a reply from `from` to `to` may answer: per appointment still ahead and not
 * cancelled, the latest SMS from that number that asked for confirmation. Several rows = do not guess.
 */
export async function findOpenQuestions(em: EntityManager, input: { from: string; to: string; now: Date }): Promise<OpenQuestion[]> {
  const rows = await em.getConnection().execute<
    { message_id: string; center_id: string; appointment_id: string; locale: string; start_at: Date; time_zone: string }[]
  >(
    em
      .getKnex()
      .raw(
        `select distinct on (m.appointment_id) m.id as message_id, m.center_id, m.appointment_id, m.locale, a.start_at, c.time_zone
           from messages m
           join appointments a on a.id = m.appointment_id and a.center_id = m.center_id
           join centers c on c.id = m.center_id
          where m.recipient_address = :from and m.channel = 'sms' and m.asks_confirmation
            and m.status in ('sending', 'unknown', 'sent', 'delivered', 'read')
            and ${SENT_FROM_TO}
            and a.start_at > :now and a.status <> 'cancelled'
          order by m.appointment_id, coalesce(m.sent_at, m.created_at) desc`,
        input,
      )
      .toQuery(),
  );
  return rows
    .map((r) => ({
      messageId: r.message_id,
      centerId: r.center_id,
      appointmentId: r.appointment_id,
      locale: r.locale,
      startAt: new Date(r.start_at),
      timeZone: r.time_zone,
    }))
    .sort((a, b) => a.startAt.getTime() - b.startAt.getTime());
}

/**
 * B2-confirm / E1: a reply that was not acted on, logged on each message it could have meant,
 * once per inbound message (its provider id is in the detail).
 */
export async function logUnansweredReply(em: EntityManager, messageIds: string[], detail: string, at: Date): Promise<void> {
  for (const messageId of messageIds) {
    await em.execute(
      `insert into message_events (id, created_at, updated_at, message_id, status, detail)
       select ?, ?, ?, ?, 'reply', ? where not exists (select 1 from message_events where message_id = ? and status = 'reply' and detail = ?)`,
      [randomUUID(), at, at, messageId, detail, messageId, detail],
    );
  }
}

/**
 * X1: the centers a STOP or START sent to `to` by `from` is about, each with its patients whose
 * mobile is `from`: the centers whose own SMS sender or voice number `to` is, and the centers
 * that texted `from` from `to`.
 */
export async function centersBehindNumber(em: EntityManager, input: { from: string; to: string }): Promise<Map<string, string[]>> {
  const rows = await em.getConnection().execute<{ center_id: string; patient_id: string | null }[]>(
    em
      .getKnex()
      .raw(
        `with behind as (
           select id as center_id from centers where sms_sender_id = :to or voice_caller_number = :to
           union
           select distinct m.center_id from messages m where m.recipient_address = :from and m.channel = 'sms' and ${SENT_FROM_TO})
         select b.center_id, p.id as patient_id from behind b left join patients p on p.center_id = b.center_id and p.mobile = :from`,
        input,
      )
      .toQuery(),
  );
  const centers = new Map<string, string[]>();
  for (const row of rows) {
    const patients = centers.get(row.center_id) ?? [];
    if (row.patient_id) patients.push(row.patient_id);
    centers.set(row.center_id, patients);
  }
  return centers;
}

/** X1: `address` wrote STOP (true) or START (false) to `sender`; returns whether anything changed. */
export async function setSenderOptOut(em: EntityManager, input: { sender: string; address: string; optedOut: boolean; source: string; at: Date }): Promise<boolean> {
  if (!input.optedOut) {
    const deleted = await em.execute<{ id: string }[]>(`delete from sender_opt_outs where sender = ? and address = ? returning id`, [input.sender, input.address]);
    return deleted.length > 0;
  }
  const inserted = await em.execute<{ id: string }[]>(
    `insert into sender_opt_outs (id, created_at, updated_at, sender, address, source) values (?, ?, ?, ?, ?, ?)
     on conflict (sender, address) do nothing returning id`,
    [randomUUID(), input.at, input.at, input.sender, input.address, input.source],
  );
  return inserted.length > 0;
}

/** X1 at send time: did `address` write STOP to `sender`? (Kept hashed once the patient was erased, X7.) */
export async function isSenderOptedOut(em: EntityManager, sender: string, address: string): Promise<boolean> {
  const [row] = await em.getConnection().execute<{ found: boolean }[]>(`select exists (select 1 from sender_opt_outs where sender = ? and address in (?, ?)) as found`, [
    sender,
    address,
    optOutHash(sender, address),
  ]);
  return row?.found === true;
}

/** The language to answer in, within the centers behind the number: the patient's, else the last message's, else the center's. */
export async function replyLocaleOf(em: EntityManager, input: { from: string; centerIds: string[] }): Promise<string | null> {
  if (input.centerIds.length === 0) return null;
  const [row] = await em.execute<{ locale: string | null }[]>(
    `select locale from (
        (select locale, 1 as rank from patients where mobile = ? and center_id in (?) and locale is not null order by updated_at desc limit 1)
        union all
        (select locale, 2 as rank from messages where recipient_address = ? and center_id in (?) order by created_at desc limit 1)
        union all
        (select locale, 3 as rank from centers where id in (?) order by created_at limit 1)
     ) found order by rank limit 1`,
    [input.from, input.centerIds, input.from, input.centerIds, input.centerIds],
  );
  return row?.locale ?? null;
}
