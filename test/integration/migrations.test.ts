import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Appointment, Center, Patient } from '../../src/db/entities/index.js';
import { freshDatabase } from '../support/db.js';

describe('migrations on an empty database', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(() => db?.close());

  it('create every table of the data model and leave nothing pending', async () => {
    const rows = await db.orm.em.getConnection().execute<{ table_name: string }[]>(
      `select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'centers', 'event_settings', 'templates', 'patients', 'resources', 'services', 'locations', 'appointments',
        'resource_alerts', 'messages', 'message_events', 'credit_ledger', 'opt_outs', 'api_keys', 'confirm_tokens',
        'idempotency_records', 'callback_deliveries',
      ]),
    );
    expect(await db.orm.getMigrator().getPendingMigrations()).toEqual([]);
    // The committed migrations match the entities exactly.
    const diff = await db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });

  it('reject a second message with the same idempotency key', async () => {
    const em = db.orm.em.fork();
    const center = em.create(Center, { name: 'Studio Rossi' });
    const patient = em.create(Patient, { centerId: center.id, externalId: 'p1', firstName: 'Anna' });
    em.create(Appointment, {
      centerId: center.id, externalId: 'a1', patientId: patient.id,
      startAt: new Date('2026-12-01T09:00:00Z'), endAt: new Date('2026-12-01T09:30:00Z'),
    });
    await em.flush();
    const insert = (id: string) =>
      db.orm.em.getConnection().execute(
        `insert into messages (id, created_at, updated_at, center_id, idempotency_key, event_kind, channel, recipient_kind, due_at)
         values (?, now(), now(), ?, 'k1', 'appointment.reminder', 'sms', 'patient', now())`,
        [id, center.id],
      );
    await insert('00000000-0000-4000-8000-000000000001');
    await expect(insert('00000000-0000-4000-8000-000000000002')).rejects.toThrow(/unique/i);
  });
});
