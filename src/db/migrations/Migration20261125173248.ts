import { Migration } from '@mikro-orm/migrations';

export class Migration20261125173248 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "message_secrets" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "ciphertext" text not null, "expires_at" timestamptz not null, constraint "message_secrets_pkey" primary key ("id"));`);
    this.addSql(`create index "message_secrets_center_id_index" on "message_secrets" ("center_id");`);
    this.addSql(`create index "message_secrets_expires_at_index" on "message_secrets" ("expires_at");`);

    this.addSql(`alter table "message_secrets" add constraint "message_secrets_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "messages" add column "secret_ref" uuid null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "message_secrets" cascade;`);

    this.addSql(`alter table "messages" drop column "secret_ref";`);
  }

}
