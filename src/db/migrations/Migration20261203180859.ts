import { Migration } from '@mikro-orm/migrations';

export class Migration20261203180859 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "centers" add column "message_retention_days" int null;`);

    this.addSql(`create index "callback_deliveries_delivered_at_index" on "callback_deliveries" ("delivered_at");`);

    // idempotency_records (created_at) is indexed by Migration20261203173745 (its 24 h expiry).

    this.addSql(`create index "messages_unredacted_index" on "messages" ("center_id", "created_at") where "body" is not null or "subject" is not null or "recipient_address" is not null;`);

    this.addSql(`create index "message_events_created_at_index" on "message_events" ("created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "callback_deliveries_delivered_at_index";`);

    this.addSql(`alter table "centers" drop column "message_retention_days";`);

    this.addSql(`drop index "message_events_created_at_index";`);

    this.addSql(`drop index "messages_unredacted_index";`);
  }

}
