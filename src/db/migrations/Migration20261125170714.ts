import { Migration } from '@mikro-orm/migrations';

export class Migration20261125170714 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "centers" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(255) not null, "phone" varchar(255) null, "website" varchar(255) null, "time_zone" varchar(255) not null default 'Europe/Rome', "locale" varchar(5) not null default 'it', "currency" varchar(3) not null default 'EUR', "communications_enabled" boolean not null default true, "email_from_name" varchar(255) null, "email_from_address" varchar(255) null, "email_reply_to" varchar(255) null, "sms_sender_id" varchar(16) null, "voice_caller_number" varchar(20) null, "privacy_required" boolean not null default false, "read_tracking" boolean not null default false, "admin_emails" text[] not null, "price_email" int not null default 0, "price_sms_segment" int not null default 1, "price_voice" int not null default 2, "low_credit_threshold" int not null default 50, "credit_balance" int not null default 0, "low_credit_warned_at" timestamptz null, "exhausted_warned_at" timestamptz null, "callback_url" varchar(255) null, "callback_secret" varchar(255) null, constraint "centers_pkey" primary key ("id"));`);

    this.addSql(`create table "callback_deliveries" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "type" varchar(40) not null, "event_id" varchar(100) not null, "payload" jsonb not null, "attempts" int not null default 0, "delivered_at" timestamptz null, "last_error" text null, constraint "callback_deliveries_pkey" primary key ("id"));`);
    this.addSql(`create index "callback_deliveries_center_id_index" on "callback_deliveries" ("center_id");`);
    this.addSql(`alter table "callback_deliveries" add constraint "callback_deliveries_event_id_unique" unique ("event_id");`);

    this.addSql(`create table "api_keys" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid null, "name" varchar(255) not null, "prefix" varchar(16) not null, "hash" varchar(64) not null, "scope" varchar(10) not null, "revoked_at" timestamptz null, constraint "api_keys_pkey" primary key ("id"));`);
    this.addSql(`create index "api_keys_center_id_index" on "api_keys" ("center_id");`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_hash_unique" unique ("hash");`);

    this.addSql(`create table "event_settings" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "event_kind" varchar(40) not null, "channels" text[] not null, "options" jsonb not null, constraint "event_settings_pkey" primary key ("id"));`);
    this.addSql(`create index "event_settings_center_id_index" on "event_settings" ("center_id");`);
    this.addSql(`alter table "event_settings" add constraint "event_settings_center_id_event_kind_unique" unique ("center_id", "event_kind");`);

    this.addSql(`create table "idempotency_records" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "api_key_id" uuid not null, "key" varchar(200) not null, "request_hash" varchar(64) not null, "status" int not null, "response_body" text not null, constraint "idempotency_records_pkey" primary key ("id"));`);
    this.addSql(`alter table "idempotency_records" add constraint "idempotency_records_api_key_id_key_unique" unique ("api_key_id", "key");`);

    this.addSql(`create table "locations" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "external_id" varchar(100) not null, "site" varchar(255) not null, "locality" varchar(255) null, "phone" varchar(20) null, "address" varchar(255) null, "notes" text null, constraint "locations_pkey" primary key ("id"));`);
    this.addSql(`create index "locations_center_id_index" on "locations" ("center_id");`);
    this.addSql(`alter table "locations" add constraint "locations_center_id_external_id_unique" unique ("center_id", "external_id");`);

    this.addSql(`create table "opt_outs" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "channel" varchar(10) not null, "address" varchar(255) not null, "source" varchar(30) not null, constraint "opt_outs_pkey" primary key ("id"));`);
    this.addSql(`create index "opt_outs_center_id_index" on "opt_outs" ("center_id");`);
    this.addSql(`alter table "opt_outs" add constraint "opt_outs_center_id_channel_address_unique" unique ("center_id", "channel", "address");`);

    this.addSql(`create table "patients" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "external_id" varchar(100) not null, "first_name" varchar(255) not null, "last_name" varchar(255) null, "mobile" varchar(20) null, "landline" varchar(20) null, "email" varchar(255) null, "address" varchar(255) null, "locale" varchar(5) null, "channel_preference" varchar(10) null, "privacy_consent" boolean not null default false, "has_password" boolean not null default false, "opted_out_channels" text[] not null, constraint "patients_pkey" primary key ("id"));`);
    this.addSql(`create index "patients_center_id_index" on "patients" ("center_id");`);
    this.addSql(`create index "patients_mobile_index" on "patients" ("mobile");`);
    this.addSql(`alter table "patients" add constraint "patients_center_id_external_id_unique" unique ("center_id", "external_id");`);

    this.addSql(`create table "resources" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "external_id" varchar(100) not null, "name" varchar(255) not null, "address" varchar(255) null, "phone" varchar(20) null, "mobile" varchar(20) null, "email" varchar(255) null, "locale" varchar(5) null, "memo_enabled" boolean not null default true, constraint "resources_pkey" primary key ("id"));`);
    this.addSql(`create index "resources_center_id_index" on "resources" ("center_id");`);
    this.addSql(`alter table "resources" add constraint "resources_center_id_external_id_unique" unique ("center_id", "external_id");`);

    this.addSql(`create table "resource_alerts" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "resource_id" uuid not null, "day" varchar(10) not null, "kind" varchar(10) not null, "delay_minutes" int null, "affected_count" int not null default 0, "notified_count" int not null default 0, constraint "resource_alerts_pkey" primary key ("id"));`);
    this.addSql(`create index "resource_alerts_center_id_index" on "resource_alerts" ("center_id");`);

    this.addSql(`create table "services" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "external_id" varchar(100) not null, "name" varchar(255) not null, "price" numeric(10,2) null, "duration_minutes" int null, "preparation" text null, "send_preparation" boolean not null default false, "memo_enabled" boolean not null default true, "recall_interval_days" int null, constraint "services_pkey" primary key ("id"));`);
    this.addSql(`create index "services_center_id_index" on "services" ("center_id");`);
    this.addSql(`alter table "services" add constraint "services_center_id_external_id_unique" unique ("center_id", "external_id");`);

    this.addSql(`create table "appointments" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "external_id" varchar(100) not null, "patient_id" uuid not null, "resource_id" uuid null, "service_id" uuid null, "location_id" uuid null, "start_at" timestamptz not null, "end_at" timestamptz not null, "status" varchar(12) not null default 'booked', "notes" text null, "group_name" varchar(255) null, "price_list" varchar(255) null, "booked_online" boolean not null default false, "booked_at" timestamptz not null, "manual_recall_days" int null, "revision" int not null default 0, "confirmed_at" timestamptz null, "cancelled_at" timestamptz null, constraint "appointments_pkey" primary key ("id"));`);
    this.addSql(`create index "appointments_center_id_index" on "appointments" ("center_id");`);
    this.addSql(`create index "appointments_center_id_resource_id_start_at_index" on "appointments" ("center_id", "resource_id", "start_at");`);
    this.addSql(`create index "appointments_center_id_patient_id_start_at_index" on "appointments" ("center_id", "patient_id", "start_at");`);
    this.addSql(`alter table "appointments" add constraint "appointments_center_id_external_id_unique" unique ("center_id", "external_id");`);

    this.addSql(`create table "messages" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "idempotency_key" varchar(300) not null, "appointment_id" uuid null, "event_kind" varchar(40) not null, "channel" varchar(10) not null, "recipient_kind" varchar(10) not null, "recipient_id" uuid null, "recipient_address" varchar(255) null, "locale" varchar(5) not null default 'it', "subject" text null, "body" text null, "status" varchar(12) not null default 'scheduled', "skip_reason" varchar(30) null, "failure_reason" text null, "provider_id" varchar(100) null, "segments" int null, "credits" int not null default 0, "due_at" timestamptz not null, "sent_at" timestamptz null, "delivered_at" timestamptz null, "read_at" timestamptz null, "failed_at" timestamptz null, "open_count" int not null default 0, constraint "messages_pkey" primary key ("id"));`);
    this.addSql(`create index "messages_center_id_index" on "messages" ("center_id");`);
    this.addSql(`alter table "messages" add constraint "messages_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "messages_status_index" on "messages" ("status");`);
    this.addSql(`create index "messages_provider_id_index" on "messages" ("provider_id");`);
    this.addSql(`create index "messages_center_id_created_at_index" on "messages" ("center_id", "created_at");`);
    this.addSql(`create index "messages_center_id_appointment_id_index" on "messages" ("center_id", "appointment_id");`);
    this.addSql(`create index "messages_center_id_recipient_id_event_kind_due_at_index" on "messages" ("center_id", "recipient_id", "event_kind", "due_at");`);

    this.addSql(`create table "message_events" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "message_id" uuid not null, "status" varchar(12) not null, "detail" text null, constraint "message_events_pkey" primary key ("id"));`);
    this.addSql(`create index "message_events_message_id_index" on "message_events" ("message_id");`);

    this.addSql(`create table "credit_ledger" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "message_id" uuid null, "kind" varchar(10) not null, "amount" int not null, "note" varchar(255) null, constraint "credit_ledger_pkey" primary key ("id"));`);
    this.addSql(`create index "credit_ledger_center_id_index" on "credit_ledger" ("center_id");`);
    this.addSql(`alter table "credit_ledger" add constraint "credit_ledger_message_id_kind_unique" unique ("message_id", "kind");`);

    this.addSql(`create table "confirm_tokens" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "appointment_id" uuid not null, "message_id" uuid null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "outcome" varchar(10) null, constraint "confirm_tokens_pkey" primary key ("id"));`);
    this.addSql(`create index "confirm_tokens_center_id_index" on "confirm_tokens" ("center_id");`);
    this.addSql(`alter table "confirm_tokens" add constraint "confirm_tokens_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "templates" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "center_id" uuid not null, "event_kind" varchar(40) not null, "channel" varchar(10) not null, "locale" varchar(5) not null, "subject" text null, "body" text not null, constraint "templates_pkey" primary key ("id"));`);
    this.addSql(`create index "templates_center_id_index" on "templates" ("center_id");`);
    this.addSql(`alter table "templates" add constraint "templates_center_id_event_kind_channel_locale_unique" unique ("center_id", "event_kind", "channel", "locale");`);

    this.addSql(`alter table "callback_deliveries" add constraint "callback_deliveries_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "api_keys" add constraint "api_keys_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "event_settings" add constraint "event_settings_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "idempotency_records" add constraint "idempotency_records_api_key_id_foreign" foreign key ("api_key_id") references "api_keys" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "locations" add constraint "locations_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "opt_outs" add constraint "opt_outs_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "patients" add constraint "patients_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "resources" add constraint "resources_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "resource_alerts" add constraint "resource_alerts_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "resource_alerts" add constraint "resource_alerts_resource_id_foreign" foreign key ("resource_id") references "resources" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "services" add constraint "services_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "appointments" add constraint "appointments_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "appointments" add constraint "appointments_patient_id_foreign" foreign key ("patient_id") references "patients" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "appointments" add constraint "appointments_resource_id_foreign" foreign key ("resource_id") references "resources" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "appointments" add constraint "appointments_service_id_foreign" foreign key ("service_id") references "services" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "appointments" add constraint "appointments_location_id_foreign" foreign key ("location_id") references "locations" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "messages" add constraint "messages_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "messages" add constraint "messages_appointment_id_foreign" foreign key ("appointment_id") references "appointments" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "message_events" add constraint "message_events_message_id_foreign" foreign key ("message_id") references "messages" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "credit_ledger" add constraint "credit_ledger_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "credit_ledger" add constraint "credit_ledger_message_id_foreign" foreign key ("message_id") references "messages" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "confirm_tokens" add constraint "confirm_tokens_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "confirm_tokens" add constraint "confirm_tokens_appointment_id_foreign" foreign key ("appointment_id") references "appointments" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "confirm_tokens" add constraint "confirm_tokens_message_id_foreign" foreign key ("message_id") references "messages" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "templates" add constraint "templates_center_id_foreign" foreign key ("center_id") references "centers" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "callback_deliveries" drop constraint "callback_deliveries_center_id_foreign";`);

    this.addSql(`alter table "api_keys" drop constraint "api_keys_center_id_foreign";`);

    this.addSql(`alter table "event_settings" drop constraint "event_settings_center_id_foreign";`);

    this.addSql(`alter table "locations" drop constraint "locations_center_id_foreign";`);

    this.addSql(`alter table "opt_outs" drop constraint "opt_outs_center_id_foreign";`);

    this.addSql(`alter table "patients" drop constraint "patients_center_id_foreign";`);

    this.addSql(`alter table "resources" drop constraint "resources_center_id_foreign";`);

    this.addSql(`alter table "resource_alerts" drop constraint "resource_alerts_center_id_foreign";`);

    this.addSql(`alter table "services" drop constraint "services_center_id_foreign";`);

    this.addSql(`alter table "appointments" drop constraint "appointments_center_id_foreign";`);

    this.addSql(`alter table "messages" drop constraint "messages_center_id_foreign";`);

    this.addSql(`alter table "credit_ledger" drop constraint "credit_ledger_center_id_foreign";`);

    this.addSql(`alter table "confirm_tokens" drop constraint "confirm_tokens_center_id_foreign";`);

    this.addSql(`alter table "templates" drop constraint "templates_center_id_foreign";`);

    this.addSql(`alter table "idempotency_records" drop constraint "idempotency_records_api_key_id_foreign";`);

    this.addSql(`alter table "appointments" drop constraint "appointments_location_id_foreign";`);

    this.addSql(`alter table "appointments" drop constraint "appointments_patient_id_foreign";`);

    this.addSql(`alter table "resource_alerts" drop constraint "resource_alerts_resource_id_foreign";`);

    this.addSql(`alter table "appointments" drop constraint "appointments_resource_id_foreign";`);

    this.addSql(`alter table "appointments" drop constraint "appointments_service_id_foreign";`);

    this.addSql(`alter table "messages" drop constraint "messages_appointment_id_foreign";`);

    this.addSql(`alter table "confirm_tokens" drop constraint "confirm_tokens_appointment_id_foreign";`);

    this.addSql(`alter table "message_events" drop constraint "message_events_message_id_foreign";`);

    this.addSql(`alter table "credit_ledger" drop constraint "credit_ledger_message_id_foreign";`);

    this.addSql(`alter table "confirm_tokens" drop constraint "confirm_tokens_message_id_foreign";`);

    this.addSql(`drop table if exists "centers" cascade;`);

    this.addSql(`drop table if exists "callback_deliveries" cascade;`);

    this.addSql(`drop table if exists "api_keys" cascade;`);

    this.addSql(`drop table if exists "event_settings" cascade;`);

    this.addSql(`drop table if exists "idempotency_records" cascade;`);

    this.addSql(`drop table if exists "locations" cascade;`);

    this.addSql(`drop table if exists "opt_outs" cascade;`);

    this.addSql(`drop table if exists "patients" cascade;`);

    this.addSql(`drop table if exists "resources" cascade;`);

    this.addSql(`drop table if exists "resource_alerts" cascade;`);

    this.addSql(`drop table if exists "services" cascade;`);

    this.addSql(`drop table if exists "appointments" cascade;`);

    this.addSql(`drop table if exists "messages" cascade;`);

    this.addSql(`drop table if exists "message_events" cascade;`);

    this.addSql(`drop table if exists "credit_ledger" cascade;`);

    this.addSql(`drop table if exists "confirm_tokens" cascade;`);

    this.addSql(`drop table if exists "templates" cascade;`);
  }

}
