import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * X5: the stored first answers of POSTs sent with an Idempotency-Key. A record older than
 * IDEMPOTENCY_TTL_HOURS is dead: the claim takes its place, and housekeeping deletes it.
 */
export const IDEMPOTENCY_TTL_HOURS = 24;

export type Claim = { claimed: true; recordId: string } | { claimed: false; requestHash: string; status: number; responseBody: string };

/**
 * Inserts the record of a new request, or finds the live one already there. On a conflict the
 * unique (api key, key) makes this wait for a concurrent twin's commit; an expired record is
 * taken over (its answer may no longer be replayed).
 */
export async function claimIdempotencyKey(em: EntityManager, input: { recordId: string; apiKeyId: string; key: string; requestHash: string }): Promise<Claim> {
  const inserted = await em.execute<{ id: string }[]>(
    `insert into idempotency_records (id, created_at, updated_at, api_key_id, key, request_hash, status, response_body)
     values (?, now(), now(), ?, ?, ?, 0, '')
     on conflict (api_key_id, key) do update
       set id = excluded.id, created_at = now(), updated_at = now(), request_hash = excluded.request_hash, status = 0, response_body = ''
       where idempotency_records.created_at < now() - make_interval(hours => ?)
     returning id`,
    [input.recordId, input.apiKeyId, input.key, input.requestHash, IDEMPOTENCY_TTL_HOURS],
  );
  if (inserted.length > 0) return { claimed: true, recordId: input.recordId };
  const [first] = await em.execute<{ request_hash: string; status: number; response_body: string }[]>(
    `select request_hash, status, response_body from idempotency_records where api_key_id = ? and key = ?`,
    [input.apiKeyId, input.key],
  );
  return { claimed: false, requestHash: first?.request_hash ?? '', status: first?.status ?? 0, responseBody: first?.response_body ?? '' };
}

export async function storeIdempotentAnswer(em: EntityManager, recordId: string, status: number, body: string): Promise<void> {
  await em.execute(`update idempotency_records set status = ?, response_body = ?, updated_at = now() where id = ?`, [status, body, recordId]);
}

/** Housekeeping: deletes the records past their time to live; returns how many. */
export async function purgeExpiredIdempotencyRecords(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ n: number }[]>(
    `with gone as (delete from idempotency_records where created_at < now() - make_interval(hours => ?) returning 1) select count(*)::int as n from gone`,
    [IDEMPOTENCY_TTL_HOURS],
  );
  return rows[0]?.n ?? 0;
}
