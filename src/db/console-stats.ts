import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * #14: read-only figures the console charts. Scoped by the session's center; no patient data.
 */

export type DailyOutcome = 'sent' | 'delivered' | 'failed' | 'skipped';
export interface DailyCount {
  day: string;
  channel: string;
  outcome: DailyOutcome;
  n: number;
}

/**
 * Messages per day (in the center's time zone, by due time) and channel, grouped into the four
 * outcomes the chart shows: sent (sent, sending, unknown), delivered (delivered, read), failed, skipped.
 */
export async function dailyMessageCounts(em: EntityManager, centerId: string, since: Date): Promise<DailyCount[]> {
  const rows = await em.execute<{ day: string; channel: string; outcome: DailyOutcome; n: string }[]>(
    `select to_char((m.due_at at time zone c.time_zone)::date, 'YYYY-MM-DD') as day, m.channel,
            case when m.status in ('delivered', 'read') then 'delivered'
                 when m.status in ('sent', 'sending', 'unknown') then 'sent'
                 else m.status end as outcome,
            count(*) as n
       from messages m join centers c on c.id = m.center_id
      where m.center_id = ? and m.due_at >= ? and m.status in ('sent', 'sending', 'unknown', 'delivered', 'read', 'failed', 'skipped')
      group by 1, 2, 3 order by 1`,
    [centerId, since],
  );
  return rows.map((r) => ({ day: r.day, channel: r.channel, outcome: r.outcome, n: Number(r.n) }));
}

export interface AlertMessageCounts {
  /** Patients with a message of the alert written (to be sent, sent or skipped). */
  prepared: number;
  /** Patients with a message of the alert sent (or already delivered or read). */
  sent: number;
  /** Messages of the alert still on their way (scheduled or sending). */
  pending: number;
}

/**
 * B4: how far the messages of some alerts have come. An alert's messages carry its id as their
 * idempotency key's slot (`{scope}|alert.delay|{alertId}|{channel}`, src/domain/message-key.ts).
 */
export async function alertMessageCounts(em: EntityManager, centerId: string, alertIds: string[]): Promise<Map<string, AlertMessageCounts>> {
  if (alertIds.length === 0) return new Map();
  const rows = await em.execute<{ alert_id: string; prepared: string; sent: string; pending: string }[]>(
    `select split_part(idempotency_key, '|', 3) as alert_id,
            count(distinct appointment_id) as prepared,
            count(distinct appointment_id) filter (where status in ('sent', 'delivered', 'read')) as sent,
            count(*) filter (where status in ('scheduled', 'sending')) as pending
       from messages
      where center_id = ? and event_kind in ('alert.delay', 'alert.cancellation') and split_part(idempotency_key, '|', 3) in (${alertIds.map(() => '?').join(', ')})
      group by 1`,
    [centerId, ...alertIds],
  );
  return new Map(rows.map((r) => [r.alert_id, { prepared: Number(r.prepared), sent: Number(r.sent), pending: Number(r.pending) }]));
}
