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

/** Tables in which some row contains `text` (e.g. a secret or an erased name that must be stored nowhere). */
export async function tablesContaining(orm: MikroORM, text: string): Promise<string[]> {
  const conn = orm.em.getConnection();
  const tables = await conn.execute<{ table_name: string }[]>(`select table_name from information_schema.tables where table_schema = 'public'`);
  const found: string[] = [];
  for (const { table_name } of tables) {
    const [row] = await conn.execute<{ n: number }[]>(`select count(*)::int as n from "${table_name}" t where strpos(t::text, ?) > 0`, [text]);
    if ((row?.n ?? 0) > 0) found.push(table_name);
  }
  return found;
}
