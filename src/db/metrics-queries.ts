import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel, MessageStatus } from '../domain/events.js';

/**
 * What the /metrics gauges read at scrape time: one cheap query each, ids and counts only.
 */

/** Every center's credit balance (the ledger's running total, kept on the center row). */
export async function creditBalances(em: EntityManager): Promise<{ centerId: string; balance: number }[]> {
  const rows = await em.execute<{ id: string; credit_balance: number }[]>(`select id, credit_balance from centers`);
  return rows.map((r) => ({ centerId: r.id, balance: Number(r.credit_balance) }));
}

/** Messages whose due time has come and that have not left yet: the send queue, by channel and status. */
export async function dueMessages(em: EntityManager, now: Date): Promise<{ channel: Channel; status: MessageStatus; count: number }[]> {
  const rows = await em.execute<{ channel: Channel; status: MessageStatus; count: number }[]>(
    `select channel, status, count(*)::int as count from messages
      where status in ('scheduled', 'sending', 'unknown') and due_at <= ?
      group by channel, status`,
    [now],
  );
  return rows.map((r) => ({ channel: r.channel, status: r.status, count: Number(r.count) }));
}
