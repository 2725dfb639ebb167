import type { EntityManager } from '@mikro-orm/postgresql';
import { MESSAGE_RETENTION, PURGE_AFTER_DAYS, type RetentionStep } from '../domain/retention.js';

const DAY_MS = 24 * 3600_000;
const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

/**
 * X7: one batch of one retention step; returns how many rows it changed (fewer than `batchSize`
 * = the step is done). Each batch is one short statement in its own transaction, so a first run
 * over millions of rows never holds long locks, and a run cut short resumes where it stopped
 * (the next batch simply finds what is left). Every step walks an index made for it.
 */
export async function retentionBatch(em: EntityManager, step: RetentionStep, input: { now: Date; batchSize: number }): Promise<number> {
  const { now, batchSize } = input;
  switch (step) {
    case 'redactMessages': {
      // Per center, its own period (or the platform default); texts and addresses go, the row stays.
      return countOf(
        em,
        `with batch as (
           select m.id from centers c
           cross join lateral (
             select m.id from messages m
              where m.center_id = c.id
                and m.created_at < ?::timestamptz - make_interval(days => coalesce(c.message_retention_days, ?))
                and (m.body is not null or m.subject is not null or m.recipient_address is not null)
                and m.status not in ('scheduled', 'sending')
              order by m.created_at limit ?) m
           limit ?)
         , changed as (update messages set body = null, subject = null, recipient_address = null, updated_at = ?
          where id in (select id from batch) returning 1)
         select count(*)::int as n from changed`,
        [now, MESSAGE_RETENTION.defaultDays, batchSize, batchSize, now],
      );
    }
    case 'messageEvents':
      return purge(em, 'message_events', 'created_at', daysBefore(now, PURGE_AFTER_DAYS.messageEvents), batchSize);
    case 'callbackDeliveries':
      return purge(em, 'callback_deliveries', 'delivered_at', daysBefore(now, PURGE_AFTER_DAYS.callbackDeliveries), batchSize);
    case 'idempotencyRecords':
      return purge(em, 'idempotency_records', 'created_at', daysBefore(now, PURGE_AFTER_DAYS.idempotencyRecords), batchSize);
  }
}

/** Deletes up to `batchSize` rows whose `column` is before `cutoff`, oldest first. */
function purge(em: EntityManager, table: string, column: string, cutoff: Date, batchSize: number): Promise<number> {
  return countOf(
    em,
    `with changed as (delete from "${table}" where id in (select id from "${table}" where "${column}" < ? order by "${column}" limit ?) returning 1)
     select count(*)::int as n from changed`,
    [cutoff, batchSize],
  );
}

/** Runs a `... select count(*)::int as n from changed` statement: the number of rows it changed. */
async function countOf(em: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const [row] = await em.execute<{ n: number }[]>(sql, params);
  return row?.n ?? 0;
}
