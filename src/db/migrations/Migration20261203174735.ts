import { Migration } from '@mikro-orm/migrations';

export class Migration20261203174735 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "consent_changes" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "patient_id" uuid not null, "field" varchar(20) not null, "channel" varchar(10) null, "old_value" varchar(20) null, "new_value" varchar(20) null, "actor" varchar(10) not null, "actor_id" uuid null, "via" varchar(30) not null, constraint "consent_changes_pkey" primary key ("id"));`);
    this.addSql(`create index "consent_changes_center_id_index" on "consent_changes" ("center_id");`);
    this.addSql(`create index "consent_changes_center_id_patient_id_created_at_index" on "consent_changes" ("center_id", "patient_id", "created_at");`);

    this.addSql(`alter table "consent_changes" add constraint "consent_changes_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "consent_changes" cascade;`);
  }

}
