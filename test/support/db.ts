import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { migrateUp, openOrm, type MikroORM } from '../../src/db/orm.js';

/** A fresh database with every committed migration applied, for one test file. */
export async function freshDatabase(): Promise<{ url: string; orm: MikroORM; close: () => Promise<void> }> {
  const serverUrl = inject('postgresUrl');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = serverUrl.replace(/\/postgres$/, `/${name}`);
  const orm = await openOrm(url);
  await migrateUp(orm);
  return { url, orm, close: () => orm.close() };
}
