import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * F1: the credit ledger. Every change runs in one transaction that first locks the center row
 * (`FOR UPDATE`), so concurrent debits of one center queue up and the balance can never go
 * below zero; `centers.credit_balance` is updated in the same transaction and always equals
 * the sum of the center's ledger rows. A ledger row is unique per (message, kind): a repeated
 * debit or refund of the same message is a no-op that answers the first outcome.
 */

export class CenterNotFoundError extends Error {
  constructor(readonly centerId: string) {
    super(`Center ${centerId} not found`);
    this.name = 'CenterNotFoundError';
  }
}

/** `centers.credit_balance` is a PostgreSQL integer. */
export const MAX_BALANCE = 2_147_483_647;

/** A top-up that would take the balance past MAX_BALANCE. */
export class BalanceLimitError extends RangeError {
  constructor(readonly balance: number) {
    super(`the balance (${balance}) plus this amount would exceed ${MAX_BALANCE}`);
    this.name = 'BalanceLimitError';
  }
}

async function lockBalance(tx: EntityManager, centerId: string): Promise<number> {
  const [row] = await tx.execute<{ credit_balance: number }[]>(`select credit_balance from centers where id = ? for update`, [centerId]);
  if (!row) throw new CenterNotFoundError(centerId);
  return row.credit_balance;
}

async function addEntry(
  tx: EntityManager,
  entry: { centerId: string; messageId: string | null; kind: 'debit' | 'refund' | 'topup'; amount: number; note: string | null },
): Promise<{ id: string; balance: number }> {
  const id = randomUUID();
  // Millisecond timestamps like the ORM's own rows, so list cursors (createdAt, id) stay exact.
  const now = new Date();
  await tx.execute(
    `insert into credit_ledger (id, created_at, updated_at, center_id, message_id, kind, amount, note) values (?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, now, now, entry.centerId, entry.messageId, entry.kind, entry.amount, entry.note],
  );
  const [row] = await tx.execute<{ credit_balance: number }[]>(
    `update centers set credit_balance = credit_balance + ?, updated_at = now() where id = ? returning credit_balance`,
    [entry.amount, entry.centerId],
  );
  return { id, balance: row?.credit_balance ?? 0 };
}

async function existingEntry(tx: EntityManager, messageId: string, kind: 'debit' | 'refund'): Promise<{ amount: number } | null> {
  const [row] = await tx.execute<{ amount: number }[]>(`select amount from credit_ledger where message_id = ? and kind = ?`, [messageId, kind]);
  return row ?? null;
}

export async function topUp(em: EntityManager, input: { centerId: string; amount: number; note: string | null }): Promise<{ entryId: string; balance: number }> {
  if (!Number.isInteger(input.amount) || input.amount <= 0) throw new RangeError('amount: must be a whole number > 0');
  return em.transactional(async (tx) => {
    const before = await lockBalance(tx, input.centerId);
    if (before + input.amount > MAX_BALANCE) throw new BalanceLimitError(before);
    const { id, balance } = await addEntry(tx, { centerId: input.centerId, messageId: null, kind: 'topup', amount: input.amount, note: input.note });
    return { entryId: id, balance };
  });
}

export type DebitOutcome = { ok: true; balance: number } | { ok: false; reason: 'no_credits'; balance: number };

/**
 * Debits `amount` for one message unless already debited; refuses (no row) when the balance is
 * short. One statement (its own transaction): the center row is locked for a single round trip,
 * so a burst of one center's messages queues on it as briefly as possible.
 */
export async function debitForMessage(em: EntityManager, input: { centerId: string; messageId: string; amount: number }): Promise<DebitOutcome> {
  if (!Number.isInteger(input.amount) || input.amount < 0) throw new RangeError('amount: must be a whole number ≥ 0');
  for (let attempt = 1; ; attempt++) {
    try {
      return await debitOnce(em, input);
    } catch (err) {
      // Two debits of one message at once: the later one's snapshot missed the earlier's row and
      // the unique (message, kind) index refused it. Run again: it now finds the debit.
      if (!isUniqueViolation(err) || attempt >= 3) throw err;
    }
  }
}

/** A raw statement's error comes straight from the driver (SQLSTATE 23505), not as the ORM's exception. */
function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === '23505';
}

async function debitOnce(em: EntityManager, input: { centerId: string; messageId: string; amount: number }): Promise<DebitOutcome> {
  const now = new Date(); // millisecond timestamps, like the ORM's own rows
  const [row] = await em.getConnection().execute<Array<{ before: number | null; after: number | null; already: boolean }>>(
    `with c as (select credit_balance from centers where id = ? for update),
          prior as (select 1 from credit_ledger where message_id = ? and kind = 'debit'),
          ins as (
            insert into credit_ledger (id, created_at, updated_at, center_id, message_id, kind, amount, note)
            select ?, ?, ?, ?, ?, 'debit', ?, null from c
             where not exists (select 1 from prior) and c.credit_balance >= ?
            returning amount),
          upd as (
            update centers set credit_balance = centers.credit_balance + ins.amount, updated_at = now()
              from ins where centers.id = ? returning centers.credit_balance)
     select (select credit_balance from c) as before, (select credit_balance from upd) as after, exists (select 1 from prior) as already`,
    [input.centerId, input.messageId, randomUUID(), now, now, input.centerId, input.messageId, -input.amount, input.amount, input.centerId],
  );
  if (!row || row.before === null) throw new CenterNotFoundError(input.centerId);
  if (row.already) return { ok: true, balance: row.before };
  if (row.after !== null) return { ok: true, balance: row.after };
  return { ok: false, reason: 'no_credits', balance: row.before };
}

/** Gives back what a message was debited (once); false when it was never debited. */
export async function refundForMessage(em: EntityManager, input: { centerId: string; messageId: string }): Promise<{ refunded: boolean }> {
  return em.transactional(async (tx) => {
    await lockBalance(tx, input.centerId);
    if (await existingEntry(tx, input.messageId, 'refund')) return { refunded: true };
    const debit = await existingEntry(tx, input.messageId, 'debit');
    if (!debit) return { refunded: false };
    await addEntry(tx, { centerId: input.centerId, messageId: input.messageId, kind: 'refund', amount: -debit.amount, note: null });
    return { refunded: true };
  });
}

/** The ledger's sum, for checks: it always equals `centers.credit_balance`. */
export async function ledgerSum(em: EntityManager, centerId: string): Promise<number> {
  const [row] = await em.execute<{ sum: string | null }[]>(`select sum(amount) as sum from credit_ledger where center_id = ?`, [centerId]);
  return Number(row?.sum ?? 0);
}
