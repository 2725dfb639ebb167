import { Migration } from '@mikro-orm/migrations';

export class Migration20261125171655 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "messages" add column "asks_confirmation" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "messages" drop column "asks_confirmation";`);
  }

}
