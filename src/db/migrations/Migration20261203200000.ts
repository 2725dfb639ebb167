import { Migration } from '@mikro-orm/migrations';

export class Migration20261203200000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "console_links" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "token_hash" varchar(64) not null, "staff_name" varchar(100) not null, "expires_at" timestamptz not null, "used_at" timestamptz null, constraint "console_links_pkey" primary key ("id"));`);
    this.addSql(`create index "console_links_center_id_index" on "console_links" ("center_id");`);
    this.addSql(`alter table "console_links" add constraint "console_links_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "console_sessions" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "session_hash" varchar(64) not null, "staff_name" varchar(100) not null, "api_key_id" uuid not null, "locale" varchar(2) not null, "last_seen_at" timestamptz not null, "expires_at" timestamptz not null, constraint "console_sessions_pkey" primary key ("id"));`);
    this.addSql(`create index "console_sessions_center_id_index" on "console_sessions" ("center_id");`);
    this.addSql(`alter table "console_sessions" add constraint "console_sessions_session_hash_unique" unique ("session_hash");`);

    this.addSql(`alter table "console_links" add constraint "console_links_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "console_sessions" add constraint "console_sessions_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "console_sessions" add constraint "console_sessions_api_key_id_foreign" foreign key ("api_key_id") references "api_keys" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "console_links" cascade;`);
    this.addSql(`drop table if exists "console_sessions" cascade;`);
  }

}
