import { Migration } from '@mikro-orm/migrations';

export class Migration20261203173614 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "sender_opt_outs" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "sender" varchar(20) not null, "address" varchar(255) not null, "source" varchar(30) not null, constraint "sender_opt_outs_pkey" primary key ("id"));`);
    this.addSql(`alter table "sender_opt_outs" add constraint "sender_opt_outs_sender_address_unique" unique ("sender", "address");`);

    this.addSql(`alter table "messages" add column "sender" varchar(20) null;`);
    // SMS already sent by a center with its own number came from that number; the others from
    // the platform's default sender, which stays null (a reply to a number no center owns finds them).
    this.addSql(`update "messages" m set "sender" = c."sms_sender_id" from "centers" c
      where c."id" = m."center_id" and m."channel" = 'sms' and m."status" in ('sending', 'sent', 'delivered', 'read')
        and c."sms_sender_id" ~ '^\\+[1-9][0-9]{6,14}$';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "sender_opt_outs" cascade;`);

    this.addSql(`alter table "messages" drop column "sender";`);
  }

}
