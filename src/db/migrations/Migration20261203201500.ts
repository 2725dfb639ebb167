import { Migration } from '@mikro-orm/migrations';

/** X9: the per-sender SMS / voice pace shared by every worker (src/db/sender-paces.ts). */
export class Migration20261203201500 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "sender_paces" ("sender" varchar(64) not null, "next_slot" timestamptz not null, constraint "sender_paces_pkey" primary key ("sender"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "sender_paces" cascade;`);
  }

}
