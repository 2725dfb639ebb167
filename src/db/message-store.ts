import type { EntityManager } from '@mikro-orm/postgresql';
import type { MessageStatus, SkipReason } from '../domain/events.js';
import { sourcesOf } from '../messages/transitions.js';
import { refundForMessage } from './credits.js';
import { Center, Message } from './entities/index.js';
import { optOutHash } from './opt-out-hash.js';

/**
 * The SQL of a message's status changes. Each statement moves the row only from the statuses
 * the transition table allows (src/messages/transitions.ts) and writes its event in the same
 * statement: the hot path of a burst counts round trips. Called only by src/messages/.
 */

/** The attempt that holds (or wants) a message's `sending` claim: its fencing token. */
export interface ClaimToken {
  /** Workflow, run and activity id of the send activity (or a one-off id). */
  holder: string;
  /** Its attempt number: a newer attempt of the same activity outranks an older one. */
  attempt: number;
}

type Row = { id: string };
const list = (statuses: readonly MessageStatus[]) => statuses.map((s) => `'${s}'`).join(', ');
// Millisecond timestamps from here, like the ORM's own rows (list cursors stay exact).
const now = () => new Date();

/** Moves one row to `to` where `guard` holds, and logs the event; true when it moved. */
async function move(
  em: EntityManager,
  input: { id: string; to: MessageStatus; from: readonly MessageStatus[]; set?: string; setParams?: unknown[]; guard?: string; guardParams?: unknown[]; event?: string; detail?: string | null },
): Promise<boolean> {
  const at = now();
  const from = input.from.filter((s) => sourcesOf(input.to).includes(s));
  if (!from.length) throw new Error(`no transition to ${input.to} from ${input.from.join(', ')}`);
  const rows = await em.getConnection().execute<Row[]>(
    `with moved as (
       update messages set status = ?, updated_at = ?${input.set ? `, ${input.set}` : ''}
        where id = ? and status in (${list(from)})${input.guard ? ` and (${input.guard})` : ''}
        returning id)
     insert into message_events (id, created_at, updated_at, message_id, status, detail)
       select gen_random_uuid(), ?, ?, id, ?, ? from moved
     returning message_id as id`,
    [input.to, at, ...(input.setParams ?? []), input.id, ...(input.guardParams ?? []), at, at, input.event ?? input.to, input.detail ?? null],
  );
  return rows.length === 1;
}

/**
 * New rows (`scheduled`, or `skipped` with their reason), under their idempotency keys: a
 * concurrent or repeated run keeps the first row (ON CONFLICT DO NOTHING). Returns the stored rows.
 */
export async function insertMessages(em: EntityManager, rows: Message[]): Promise<Message[]> {
  if (rows.some((r) => r.status !== 'scheduled' && r.status !== 'skipped')) throw new Error('a message starts scheduled or skipped');
  await em.createQueryBuilder(Message).insert(rows).onConflict('idempotency_key').ignore().execute();
  return em.find(Message, { idempotencyKey: { $in: rows.map((r) => r.idempotencyKey) } }, { refresh: true });
}

/**
 * scheduled | unknown → sending, held by `token` for `leaseMs`. `sender`: the From it goes out
 * from (SMS), which replies to it are matched by (X1, B2-confirm).
 */
export function claim(
  em: EntityManager,
  id: string,
  token: ClaimToken,
  input: { from: MessageStatus[]; leaseMs: number; possibleDuplicate?: boolean; detail?: string | null; sender?: string | null },
) {
  return move(em, {
    id,
    to: 'sending',
    from: input.from,
    set: `claim_holder = ?, claim_attempt = ?, lease_until = now() + ? * interval '1 millisecond', sender = coalesce(?, sender)${input.possibleDuplicate ? ', possible_duplicate = true' : ''}`,
    setParams: [token.holder, token.attempt, input.leaseMs, input.sender ?? null],
    detail: input.detail ?? null,
  });
}

/**
 * What must hold for an email to be claimed on the fast path (alias `m` for the message, `c` for
 * its center): nothing blocks it now (A1 master switch, X1 opt-out of this channel, plain or
 * hashed as optOutHash writes it, X7 erasure) and it carries no stashed secret.
 */
const CLEAR_TO_SEND = `m.status = 'scheduled' and m.secret_ref is null and c.communications_enabled
  and not exists (select 1 from opt_outs o where o.center_id = m.center_id and o.channel = m.channel
        and o.address in (m.recipient_address, 'sha256:' || encode(sha256(convert_to(m.center_id::text || '|' || m.recipient_address, 'UTF8')), 'hex')))
  and not exists (select 1 from patients p where m.recipient_kind = 'patient' and p.id = m.recipient_id and p.center_id = m.center_id
        and (m.channel = any(p.opted_out_channels) or p.erased_at is not null))`;

/**
 * What the dispatcher (src/messages/dispatcher.ts) needs on top, as it acts without the
 * appointment's workflow: an email prepared ahead (made before it was due), due now and at most
 * `graceMs` ago (later, the workflow sends it), paid (its debit is in the ledger, F1), and its
 * appointment neither cancelled nor changed since the row was made (a change the workflow may
 * not have seen yet: it releases or keeps the row itself at the due time + grace).
 */
const DUE_FOR_DISPATCH = `m.channel = 'email' and m.due_at <= now() and m.due_at > now() - ? * interval '1 millisecond' and m.created_at < m.due_at
  and (m.credits = 0 or exists (select 1 from credit_ledger l where l.message_id = m.id and l.kind = 'debit'))
  and (m.appointment_id is null or exists (select 1 from appointments a where a.id = m.appointment_id and a.center_id = m.center_id
        and a.status <> 'cancelled' and a.updated_at <= m.created_at))`;

/** A message claimed on the fast path, with its center's senders. */
export interface ClearClaim {
  message: Message;
  center: SenderSettings;
}

/**
 * scheduled → sending for `token` of the rows `target` selects among those clear to send
 * (CLEAR_TO_SEND), in one statement that also logs the event and returns each row with its
 * center's senders. For channels without per-sender opt-outs (email): `sender` is left as it is.
 */
async function claimClear(em: EntityManager, target: { where: string; params: unknown[]; tail?: string }, token: ClaimToken, leaseMs: number): Promise<ClearClaim[]> {
  const at = now();
  const rows = await em.getConnection().execute<Array<Record<string, unknown>>>(
    `with target as (
       select m.id from messages m join centers c on c.id = m.center_id
        where ${target.where} and ${CLEAR_TO_SEND}${target.tail ?? ''}),
     moved as (
       update messages m set status = 'sending', updated_at = ?, claim_holder = ?, claim_attempt = ?, lease_until = now() + ? * interval '1 millisecond'
         from target where m.id = target.id and m.status = 'scheduled'
        returning m.*),
     logged as (
       insert into message_events (id, created_at, updated_at, message_id, status, detail)
         select gen_random_uuid(), ?, ?, id, 'sending', null from moved)
     select moved.*, c.email_from_name as c_email_from_name, c.email_from_address as c_email_from_address, c.email_reply_to as c_email_reply_to,
            c.sms_sender_id as c_sms_sender_id, c.voice_caller_number as c_voice_caller_number, c.read_tracking as c_read_tracking
       from moved join centers c on c.id = moved.center_id`,
    [...target.params, at, token.holder, token.attempt, leaseMs, at, at],
  );
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return rows.map((row) => ({
    message: em.map(Message, row),
    center: {
      communicationsEnabled: true,
      emailFromName: text(row.c_email_from_name),
      emailFromAddress: text(row.c_email_from_address),
      emailReplyTo: text(row.c_email_reply_to),
      smsSenderId: text(row.c_sms_sender_id),
      voiceCallerNumber: text(row.c_voice_caller_number),
      readTracking: row.c_read_tracking === true,
    },
  }));
}

/**
 * The send's hot path in one statement: scheduled → sending for `token`, only when nothing
 * blocks it now (CLEAR_TO_SEND); returns the row and its center's senders. null: not
 * scheduled, blocked or with a secret; the caller then looks closer.
 */
export async function claimIfClear(em: EntityManager, id: string, token: ClaimToken, leaseMs: number): Promise<ClearClaim | null> {
  const [claimed] = await claimClear(em, { where: 'm.id = ?', params: [id] }, token, leaseMs);
  return claimed ?? null;
}

/**
 * Up to `limit` emails due for the dispatcher (DUE_FOR_DISPATCH) and clear to send, claimed for
 * `token` in one statement, earliest due first. Rows another dispatcher is claiming are skipped
 * (SKIP LOCKED), so dispatchers in several workers share a burst without waiting on each other.
 */
export function claimDueEmails(em: EntityManager, token: ClaimToken, input: { limit: number; leaseMs: number; graceMs: number; except?: readonly string[] }): Promise<ClearClaim[]> {
  const except = input.except?.length ? ' and m.id <> all(?::uuid[])' : '';
  return claimClear(
    em,
    {
      where: `${DUE_FOR_DISPATCH}${except}`,
      params: [input.graceMs, ...(except ? [`{${input.except!.join(',')}}`] : [])],
      tail: ` order by m.due_at limit ${Math.max(1, Math.floor(input.limit))} for update of m skip locked`,
    },
    token,
    input.leaseMs,
  );
}

/**
 * Emails a dispatcher claimed and then stopped renewing (its worker died): `sending`, lease run
 * out, due within the last `graceMs`. Another dispatcher resolves them through the full send
 * path (take over → unknown → one marked resend) instead of leaving them to the workflow's check.
 */
export async function orphanedDispatchClaims(em: EntityManager, input: { limit: number; graceMs: number }): Promise<string[]> {
  const rows = await em.getConnection().execute<Row[]>(
    `select id from messages where status = 'sending' and channel = 'email' and claim_holder like 'dispatch:%'
        and lease_until < now() and due_at > now() - ? * interval '1 millisecond'
      order by due_at limit ${Math.max(1, Math.floor(input.limit))}`,
    [input.graceMs],
  );
  return rows.map((r) => r.id);
}

/** How long until the next email not yet due falls due, by the database's clock (null: none scheduled). */
export async function msUntilNextEmailDue(em: EntityManager): Promise<number | null> {
  const [row] = await em.getConnection().execute<Array<{ ms: number | string | null }>>(
    `select extract(epoch from min(due_at) - now()) * 1000 as ms from messages where status = 'scheduled' and channel = 'email' and due_at > now()`,
  );
  return row?.ms === null || row?.ms === undefined ? null : Math.max(0, Math.ceil(Number(row.ms)));
}

/** The dispatcher renews the leases of all its sends in flight at once; returns how many it still held. */
export async function renewAll(em: EntityManager, ids: readonly string[], token: ClaimToken, leaseMs: number): Promise<number> {
  if (!ids.length) return 0;
  const renewed = await em.getConnection().execute<Row[]>(
    `update messages set lease_until = now() + ? * interval '1 millisecond'
      where id = any(?::uuid[]) and status = 'sending' and claim_holder = ? and claim_attempt = ? returning id`,
    [leaseMs, `{${ids.join(',')}}`, token.holder, token.attempt],
  );
  return renewed.length;
}

/** A live attempt extends its lease; false when the claim is no longer its own. */
export async function renew(em: EntityManager, id: string, token: ClaimToken, leaseMs: number): Promise<boolean> {
  const renewed = await em.getConnection().execute<Row[]>(
    `update messages set lease_until = now() + ? * interval '1 millisecond'
      where id = ? and status = 'sending' and claim_holder = ? and claim_attempt = ? returning id`,
    [leaseMs, id, token.holder, token.attempt],
  );
  return renewed.length === 1;
}

/**
 * sending → unknown for a claim whose holder is gone: its lease ran out, or `token` is a newer
 * attempt of the same activity (Temporal starts one only after the previous attempt ended).
 */
export function takeOver(em: EntityManager, id: string, token: ClaimToken) {
  return move(em, {
    id,
    to: 'unknown',
    from: ['sending'],
    guard: `lease_until is null or lease_until < now() or (claim_holder = ? and claim_attempt < ?)`,
    guardParams: [token.holder, token.attempt],
    detail: 'the attempt sending it stopped before it could tell',
  });
}

/** Conditions under which an attempt still holds its claim. */
const held = (token: ClaimToken) => ({ guard: 'claim_holder = ? and claim_attempt = ?', guardParams: [token.holder, token.attempt] });

/** sending → scheduled: the provider did not take it; the next attempt may claim it at once. */
export function release(em: EntityManager, id: string, token: ClaimToken, detail: string) {
  return move(em, { id, to: 'scheduled', from: ['sending'], set: 'claim_holder = null, claim_attempt = null, lease_until = null', ...held(token), event: 'retry', detail });
}

/** sending → unknown: the holder's own call broke after it began (and is over: no lease left). */
export function markUnknown(em: EntityManager, id: string, token: ClaimToken, detail: string) {
  return move(em, { id, to: 'unknown', from: ['sending'], set: 'lease_until = null', ...held(token), detail });
}

/**
 * sending → sent with the provider id, and (B7) the stashed secret deleted, in one statement: whoever
 * sees `sent` no longer finds the secret. A status callback can overtake it; it already moved the
 * row and logged its event, so then nothing is logged twice.
 */
export async function markSent(em: EntityManager, message: Pick<Message, 'id' | 'secretRef' | 'possibleDuplicate'>, token: ClaimToken, providerId: string | null): Promise<boolean> {
  const at = now();
  const rows = await em.getConnection().execute<Row[]>(
    `with sent as (
       update messages set status = 'sent', provider_id = ?, sent_at = ?, updated_at = ?, lease_until = null
        where id = ? and status = 'sending' and claim_holder = ? and claim_attempt = ?
        returning id, possible_duplicate),
     secret as (delete from message_secrets where id = ? and exists (select 1 from sent))
     insert into message_events (id, created_at, updated_at, message_id, status, detail)
       select gen_random_uuid(), ?, ?, id, 'sent', case when possible_duplicate then 'resent with the same Message-ID: possibly received twice' end from sent
     returning message_id as id`,
    [providerId, at, at, message.id, token.holder, token.attempt, message.secretRef, at, at],
  );
  return rows.length === 1;
}

/** unknown → sent: the provider has it (found after the answer was lost). */
export function markFound(em: EntityManager, id: string, providerId: string, providerStatus: string) {
  return move(em, {
    id,
    to: 'sent',
    from: ['unknown'],
    set: 'provider_id = ?, sent_at = coalesce(sent_at, now()), lease_until = null',
    setParams: [providerId],
    detail: `found at the provider (${providerStatus}): not sent again`,
  });
}

/** → skipped with its reason, its credits back (F1), in one transaction; only from `from`. */
export async function skip(em: EntityManager, message: Pick<Message, 'id' | 'centerId'>, reason: SkipReason, from: MessageStatus[]): Promise<boolean> {
  return em.transactional(async (tx) => {
    const moved = await move(tx, { id: message.id, to: 'skipped', from, set: 'skip_reason = ?', setParams: [reason], detail: reason });
    if (moved) await refundForMessage(tx, { centerId: message.centerId, messageId: message.id });
    return moved;
  });
}

/** → failed with the reason; refunded first, so a retry after a crash refunds once and then marks. */
export async function fail(em: EntityManager, message: Pick<Message, 'id' | 'centerId'>, reason: string, refund: boolean): Promise<boolean> {
  if (refund) await refundForMessage(em, { centerId: message.centerId, messageId: message.id });
  const text = reason.slice(0, 500);
  return move(em, { id: message.id, to: 'failed', from: ['scheduled', 'sending', 'unknown'], set: 'failure_reason = ?, failed_at = now(), lease_until = null', setParams: [text], detail: text });
}

/**
 * Provider ids other messages already account for (a found message must be none of them): across
 * centers, as they share the provider account. Ids come from the provider, never from a request.
 */
export async function providerIdsInUse(em: EntityManager, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await em.find(Message, { providerId: { $in: ids } }, { fields: ['providerId'] });
  return new Set(rows.map((r) => r.providerId!));
}

/**
 * The center's senders and switch, whether the recipient opted out of this channel (X1; also as
 * an erased patient's hashed opt-out) and whether the patient was erased (X7): one query.
 */
export async function sendingContext(em: EntityManager, message: Message): Promise<{ center: SenderSettings; optedOut: boolean; erased: boolean } | null> {
  const patientId = message.recipientKind === 'patient' ? message.recipientId : null;
  const hashed = message.recipientAddress ? optOutHash(message.centerId, message.recipientAddress) : null;
  const [row] = await em.getConnection().execute<Array<Record<string, string | boolean | null>>>(
    `select c.communications_enabled, c.email_from_name, c.email_from_address, c.email_reply_to, c.sms_sender_id,
            c.voice_caller_number, c.read_tracking,
            exists (select 1 from opt_outs o where o.center_id = c.id and o.channel = ? and o.address in (?, ?))
              or exists (select 1 from patients p where p.id = ? and p.center_id = c.id and ? = any(p.opted_out_channels)) as opted_out,
            exists (select 1 from patients p where p.id = ? and p.center_id = c.id and p.erased_at is not null) as erased
       from centers c where c.id = ?`,
    [message.channel, message.recipientAddress, hashed, patientId, message.channel, patientId, message.centerId],
  );
  if (!row) return null;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    center: {
      communicationsEnabled: row.communications_enabled === true,
      emailFromName: text(row.email_from_name),
      emailFromAddress: text(row.email_from_address),
      emailReplyTo: text(row.email_reply_to),
      smsSenderId: text(row.sms_sender_id),
      voiceCallerNumber: text(row.voice_caller_number),
      readTracking: row.read_tracking === true,
    },
    optedOut: row.opted_out === true,
    erased: row.erased === true,
  };
}

export type SenderSettings = Pick<
  Center,
  'communicationsEnabled' | 'emailFromName' | 'emailFromAddress' | 'emailReplyTo' | 'smsSenderId' | 'voiceCallerNumber' | 'readTracking'
>;
