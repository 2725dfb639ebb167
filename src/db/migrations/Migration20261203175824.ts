import { Migration } from '@mikro-orm/migrations';

export class Migration20261203175824 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "patient_erasures" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "patient_id" uuid not null, "actor" varchar(10) not null, "actor_id" uuid null, "messages_redacted" int not null, "appointments_stopped" int not null, "opt_outs_kept" int not null, constraint "patient_erasures_pkey" primary key ("id"));`);
    this.addSql(`create index "patient_erasures_center_id_index" on "patient_erasures" ("center_id");`);
    this.addSql(`alter table "patient_erasures" add constraint "patient_erasures_center_id_patient_id_unique" unique ("center_id", "patient_id");`);

    this.addSql(`alter table "patient_erasures" add constraint "patient_erasures_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "patients" add column "erased_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "patient_erasures" cascade;`);

    this.addSql(`alter table "patients" drop column "erased_at";`);
  }

}
