import { Migration } from '@mikro-orm/migrations';

/**
 * #13: the per-sender SMS / voice limit as a hard bound at the provider. Each provider call of a
 * sender is a row from the moment it is let through until a window after it ended;
 * `sender_gate_enter` lets a call through only while fewer than the limit are counted
 * (src/db/sender-paces.ts explains the rule and why it bounds what the provider sees).
 */
export class Migration20261204180000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "sender_sends" ("id" bigserial primary key, "sender" varchar(64) not null, "started_at" timestamptz not null, "ended_at" timestamptz null);`);
    this.addSql(`create index "sender_sends_sender_started_at_index" on "sender_sends" ("sender", "started_at");`);
    // One statement per admission. The advisory lock orders the callers of one sender; each
    // statement below takes a new snapshot (READ COMMITTED, volatile function), so it sees the
    // calls the previous holder of the lock let through.
    this.addSql(`create or replace function sender_gate_enter(p_sender varchar, p_limit int, p_window_ms float8, p_in_flight_ms float8)
returns table (ticket bigint, wait_ms float8, in_flight int)
language plpgsql volatile as $$
declare
  t timestamptz;
  win interval := make_interval(secs => p_window_ms / 1000);
  flight interval := make_interval(secs => p_in_flight_ms / 1000);
  counted int;
  open_calls int;
  freed timestamptz;
begin
  perform pg_advisory_xact_lock(hashtextextended('sender_gate:' || p_sender, 0));
  t := clock_timestamp();
  delete from sender_sends s where s.sender = p_sender and s.started_at < t - flight - win;
  select count(*)::int, (count(*) filter (where s.ended_at is null))::int, min(s.ended_at + win)
    into counted, open_calls, freed
    from sender_sends s
   where s.sender = p_sender
     and ((s.ended_at is null and s.started_at > t - flight) or s.ended_at > t - win);
  in_flight := open_calls;
  if counted < p_limit then
    insert into sender_sends (sender, started_at) values (p_sender, t) returning id into ticket;
    wait_ms := 0;
  else
    ticket := null;
    wait_ms := greatest(0, extract(epoch from (coalesce(freed, t + flight) - t)) * 1000);
  end if;
  return next;
end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists sender_gate_enter(varchar, int, float8, float8);`);
    this.addSql(`drop table if exists "sender_sends" cascade;`);
  }

}
