import type { EntityManager } from '@mikro-orm/postgresql';
import { endOfLocalDay, localDayKey, startOfLocalDay } from '../domain/local-time.js';
import { Message } from './entities/index.js';

/**
 * The center's SMS + voice messages of the local day of `now` that go or went out (not skipped,
 * not failed and refunded). Holds a per-center lock until the transaction ends, so that two
 * prepares running at once cannot both take the last place under the daily cap.
 */
export async function phoneMessagesToday(em: EntityManager, center: { id: string; timeZone: string }, now: Date): Promise<number> {
  // em.execute runs in the caller's transaction (em.getConnection().execute would not).
  await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`phone-day:${center.id}`]);
  const day = localDayKey(now, center.timeZone);
  return em.count(Message, {
    centerId: center.id,
    channel: { $in: ['sms', 'voice'] },
    status: { $nin: ['skipped', 'failed'] },
    createdAt: { $gte: startOfLocalDay(day, center.timeZone), $lt: endOfLocalDay(day, center.timeZone) },
  });
}
