import { Migration } from '@mikro-orm/migrations';

export class Migration20261203182000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "centers" add column "country" varchar(2) not null default 'IT', add column "phone_countries" text[] null, add column "daily_phone_cap" int not null default 2000;`);

    // Alerts repeated before this change: keep the first of each (resource, day, kind).
    this.addSql(`delete from "resource_alerts" a using "resource_alerts" b where a."center_id" = b."center_id" and a."resource_id" = b."resource_id" and a."day" = b."day" and a."kind" = b."kind" and (a."created_at", a."id") > (b."created_at", b."id");`);
    this.addSql(`alter table "resource_alerts" add constraint "resource_alerts_center_id_resource_id_day_kind_unique" unique ("center_id", "resource_id", "day", "kind");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "centers" drop column "country", drop column "phone_countries", drop column "daily_phone_cap";`);

    this.addSql(`alter table "resource_alerts" drop constraint "resource_alerts_center_id_resource_id_day_kind_unique";`);
  }

}
