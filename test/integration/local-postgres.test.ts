import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/ports.js';
import { startLocalPostgres } from '../../src/dev/postgres.js';
import { closedParent } from '../../src/dev/enterable.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function query<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('local stack: embedded PostgreSQL keeps its data between runs', () => {
  it('local-stack: start in a fresh folder, write, stop, start again → the data is still there', async () => {
    // Like `.data/postgres`: a folder nested under a root-owned parent, not the temp folder itself.
    const parent = mkdtempSync(join(tmpdir(), 'comms-local-pg-'));
    dirs.push(parent);
    chmodSync(parent, 0o755); // mkdtemp makes it 0700; a cloned repository folder is 0755
    mkdirSync(join(parent, '.data'), { mode: 0o755 });
    const dataDir = join(parent, '.data', 'postgres');
    const port = await freePort();

    let server = await startLocalPostgres({ dataDir, port });
    try {
      const url = await server.createDatabase('comms');
      await query(url, 'create table kept (note text)');
      await query(url, 'insert into kept values ($1)', ['first run']);
    } finally {
      await server.stop();
    }
    if (userInfo().uid === 0) {
      // As root, PostgreSQL runs as `postgres`, which must own its data folder.
      expect(statSync(dataDir).uid).not.toBe(0);
    }

    server = await startLocalPostgres({ dataDir, port });
    try {
      // createDatabase on an existing database is a no-op, as on every `npm start`.
      const url = await server.createDatabase('comms');
      expect(await query<{ note: string }>(url, 'select note from kept')).toEqual([{ note: 'first run' }]);
    } finally {
      await server.stop();
    }
  });
});

describe('embedded PostgreSQL behind a folder others cannot enter', () => {
  it('names the closed folder; as root, refuses at once with what to do instead of failing deep in initdb', async () => {
    const closed = mkdtempSync(join(tmpdir(), 'comms-closed-'));
    dirs.push(closed);
    chmodSync(closed, 0o700);
    const dataDir = join(closed, 'pg');
    mkdirSync(dataDir);
    expect(closedParent(dataDir)).toBe(closed);
    expect(closedParent(tmpdir())).toBeNull();
    if (userInfo().uid === 0) {
      await expect(startLocalPostgres({ dataDir, port: await freePort() })).rejects.toThrow(`cannot enter ${closed}`);
    }
  });
});
