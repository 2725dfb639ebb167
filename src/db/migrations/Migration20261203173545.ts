import { Migration } from '@mikro-orm/migrations';

export class Migration20261203173545 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "engine_outbox" ("id" bigserial primary key, "created_at" timestamptz not null default now(), "stream" varchar(200) not null, "command" jsonb not null, "attempts" int not null default 0, "available_at" timestamptz not null default now(), "last_error" text null);`);
    this.addSql(`create index "engine_outbox_stream_id_index" on "engine_outbox" ("stream", "id");`);
    this.addSql(`create index "engine_outbox_available_at_index" on "engine_outbox" ("available_at");`);

    this.addSql(`alter table "centers" add column "settings_version" int not null default 0;`);

    this.addSql(`alter table "resource_alerts" add column "finished_at" timestamptz null;`);
    this.addSql(`update "resource_alerts" set "finished_at" = "updated_at";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "engine_outbox" cascade;`);

    this.addSql(`alter table "centers" drop column "settings_version";`);

    this.addSql(`alter table "resource_alerts" drop column "finished_at";`);
  }

}
