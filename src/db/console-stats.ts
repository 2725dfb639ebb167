import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * #14: read-only figures the console charts. Scoped by the session's center; no patient data.
 */

/** X3: a settings change re-plans every appointment still ahead (booked or confirmed). */
export async function openAppointmentCount(em: EntityManager, centerId: string, now: Date): Promise<number> {
  const [row] = await em.execute<{ n: string }[]>(
    `select count(*) as n from appointments where center_id = ? and start_at > ? and status in ('booked', 'confirmed')`,
    [centerId, now],
  );
  return Number(row?.n ?? 0);
}

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
