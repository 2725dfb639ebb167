import { Migration } from '@mikro-orm/migrations';

export class Migration20261203173745 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "idempotency_records_created_at_index" on "idempotency_records" ("created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "idempotency_records_created_at_index";`);
  }

}
