import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Patient } from '../../src/db/entities/index.js';
import { migrateUp, openOrm, type MikroORM } from '../../src/db/orm.js';
import { DEMO_CENTER_ID, seedDemoCenter } from '../../src/db/seed.js';
import { freePort } from '../../src/dev/ports.js';
import { startLocalPostgres, type LocalPostgres } from '../../src/dev/postgres.js';

// Its own server: the log file is this server's alone, written as the local stack writes postgres.log.
let dir: string;
let logPath: string;
let server: LocalPostgres;
let orm: MikroORM;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'comms-pg-log-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as `postgres` and must enter this folder
  logPath = join(dir, 'postgres.log');
  writeFileSync(logPath, '');
  server = await startLocalPostgres({ dataDir: join(dir, 'data'), port: await freePort(), onLog: (line) => appendFileSync(logPath, `${line}\n`) });
  orm = await openOrm(await server.createDatabase('comms'));
  await migrateUp(orm);
  await seedDemoCenter(orm.em.fork());
}, 120_000);

afterAll(async () => {
  await orm?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const patient = { firstName: 'Ottavia', lastName: 'Quercioli', mobile: '+393479876543', email: 'ottavia.quercioli@example.test' };

describe('Privacy: no patient data in the PostgreSQL server log', () => {
  it('Privacy: failing writes of a patient (unique violation, not-null violation) logs the error but no name, phone or email', async () => {
    const insert = (externalId: string) => {
      const em = orm.em.fork();
      em.create(Patient, { centerId: DEMO_CENTER_ID, externalId, ...patient, privacyConsent: true });
      return em.flush();
    };
    await insert('P-log-1');
    // The same external id again: a unique violation, with the patient's values in the statement.
    await expect(insert('P-log-1')).rejects.toThrow(/duplicate key/);
    // A missing first name: PostgreSQL's DETAIL would print the whole failing row (phone, email …).
    await expect(
      orm.em.fork().nativeUpdate(Patient, { centerId: DEMO_CENTER_ID, externalId: 'P-log-1' }, { firstName: null as unknown as string, lastName: 'Quercioli-Bassi' }),
    ).rejects.toThrow(/not-null/);

    // The server logs the errors themselves (so the log is really being read) …
    // (stderr reaches the file a moment later: wait for both error lines)
    const log = await vi.waitFor(() => {
      const text = readFileSync(logPath, 'utf8');
      expect(text).toMatch(/duplicate key value violates unique constraint/);
      expect(text).toMatch(/violates not-null constraint/);
      return text;
    }, { timeout: 10_000 });
    // … but nothing that names or reaches the patient.
    for (const value of Object.values(patient)) expect(log, value).not.toContain(value);
    expect(log).not.toContain('393479876543');
    expect(log).not.toContain('Quercioli-Bassi');
  });
});
