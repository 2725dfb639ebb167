import type { MikroORM } from '@mikro-orm/postgresql';
import type { SendGate, SlotSource } from '../channels/pacer.js';
import type { GateRule } from '../domain/rate-window.js';

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

/**
 * The gate shared by every worker (`gateVerdict`'s rule, one statement each way): a call is a
 * `sender_sends` row from its admission until a window after it ended. `sender_gate_enter`
 * (migration 20261204180000) counts and admits under one advisory lock per sender, on the
 * database's clock; old rows are deleted as it goes.
 */
export function createSenderGate(orm: MikroORM, rule: GateRule): SendGate {
  const connection = () => orm.em.getConnection();
  return {
    async enter(sender) {
      const [row] = await connection().execute<Array<{ ticket: string | null; wait_ms: number; in_flight: number }>>(
        'select ticket, wait_ms, in_flight from sender_gate_enter(?, ?, ?, ?)',
        [sender, rule.limit, rule.windowMs, rule.inFlightMs],
      );
      return row!.ticket !== null ? { ticket: String(row!.ticket) } : { waitMs: Number(row!.wait_ms), inFlight: Number(row!.in_flight) };
    },
    async leave(ticket) {
      await connection().execute('update sender_sends set ended_at = clock_timestamp() where id = ?', [ticket]);
    },
  };
}
