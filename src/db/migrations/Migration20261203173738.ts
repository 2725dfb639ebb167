import { Migration } from '@mikro-orm/migrations';

export class Migration20261203173738 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "messages" add column "claim_holder" varchar(300) null, add column "claim_attempt" int null, add column "lease_until" timestamptz null, add column "possible_duplicate" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "messages" drop column "claim_holder", drop column "claim_attempt", drop column "lease_until", drop column "possible_duplicate";`);
  }

}
