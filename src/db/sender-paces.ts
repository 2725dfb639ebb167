import type { MikroORM } from '@mikro-orm/postgresql';
import type { SlotSource } from '../channels/pacer.js';

/**
 * Slots of the shared per-sender pace (X9), one statement per slot: the sender's row moves its
 * next slot on by `spacingMs` from whichever is later, that slot or the database's clock. The
 * row lock of the upsert orders concurrent workers; the database's clock is the one clock all
 * workers' slots are measured on (answered as a wait from now, so worker clocks need not agree).
 */
export function createSenderSlots(orm: MikroORM, spacingMs: number): SlotSource {
  const seconds = spacingMs / 1000;
  return {
    async reserve(sender) {
      const [row] = await orm.em.getConnection().execute<Array<{ wait_ms: number }>>(
        `insert into sender_paces as p (sender, next_slot) values (?, clock_timestamp() + make_interval(secs => ?))
         on conflict (sender) do update set next_slot = greatest(p.next_slot, clock_timestamp()) + make_interval(secs => ?)
         returning (extract(epoch from (p.next_slot - clock_timestamp())) * 1000 - ?)::float8 as wait_ms`,
        [sender, seconds, seconds, spacingMs],
      );
      return Number(row!.wait_ms);
    },
  };
}
