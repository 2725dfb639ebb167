import { Migration } from '@mikro-orm/migrations';

export class Migration20261203174635 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "centers" add column "approved_senders" jsonb not null default '{"emailAddresses":[],"emailDomains":[],"smsSenderIds":[],"voiceNumbers":[]}';`);
    // A3: the senders centers already use stay usable; only new ones need the platform's approval.
    this.addSql(`update "centers" set "approved_senders" = jsonb_build_object(
      'emailAddresses', case when "email_from_address" is null then '[]'::jsonb else jsonb_build_array("email_from_address") end,
      'emailDomains', '[]'::jsonb,
      'smsSenderIds', case when "sms_sender_id" is null then '[]'::jsonb else jsonb_build_array("sms_sender_id") end,
      'voiceNumbers', case when "voice_caller_number" is null then '[]'::jsonb else jsonb_build_array("voice_caller_number") end);`);
    this.addSql(`alter table "centers" alter column "approved_senders" drop default;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "centers" drop column "approved_senders";`);
  }

}
