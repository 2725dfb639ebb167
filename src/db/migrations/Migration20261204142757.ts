import { Migration } from '@mikro-orm/migrations';

/** #14: the settings fan-out's progress (X3), and the console's message-summary filters kept in the session. */
export class Migration20261204142757 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "policy_fanouts" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "settings_version" int not null, "total" int not null, "signalled" int not null, "finished_at" timestamptz null, constraint "policy_fanouts_pkey" primary key ("id"));`);
    this.addSql(`create index "policy_fanouts_center_id_index" on "policy_fanouts" ("center_id");`);
    this.addSql(`alter table "policy_fanouts" add constraint "policy_fanouts_center_id_settings_version_unique" unique ("center_id", "settings_version");`);

    this.addSql(`alter table "policy_fanouts" add constraint "policy_fanouts_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "console_sessions" add column "message_filters" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "policy_fanouts" cascade;`);

    this.addSql(`alter table "console_sessions" drop column "message_filters";`);
  }

}
