/**
 * Migrations CLI: `npm run migrate` applies pending migrations to DATABASE_URL;
 * `npm run migration:create` diffs the entities against a scratch embedded PostgreSQL that has
 * every committed migration applied, and writes the next migration file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateUp, openOrm } from './orm.js';

async function create() {
  // Loaded here: embedded PostgreSQL is a dev dependency, absent from the production image (which runs `up`).
  const { freePort } = await import('../dev/ports.js');
  const { startLocalPostgres } = await import('../dev/postgres.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'comms-migrate-'));
  const pgServer = await startLocalPostgres({ dataDir, port: await freePort() });
  try {
    const orm = await openOrm(await pgServer.createDatabase('scratch'));
    await migrateUp(orm);
    const result = await orm.getMigrator().createMigration(undefined, false, false);
    console.log(result.fileName ? `created ${result.fileName}` : 'no changes: entities match the migrations');
    await orm.close();
  } finally {
    await pgServer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function up() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const orm = await openOrm(url);
  const applied = await migrateUp(orm);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  await orm.close();
}

const command = process.argv[2];
const run = command === 'create' ? create : command === 'up' ? up : undefined;
if (!run) {
  console.error('usage: tsx src/db/cli.ts create|up');
  process.exit(2);
}
run().catch((err) => {
  console.error(err);
  process.exit(1);
});
