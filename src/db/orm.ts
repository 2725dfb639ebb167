import { MikroORM, defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entities } from './entities/index.js';
import { migrationsList } from './migrations/index.js';

const here = dirname(fileURLToPath(import.meta.url));

/** `poolMin`: connections kept open while idle (a worker keeps them for the next burst instead of reconnecting at its due time). */
export function ormConfig(databaseUrl: string, options: { debug?: boolean; poolMax?: number; poolMin?: number } = {}) {
  const max = options.poolMax ?? 10;
  return defineConfig({
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: true },
    debug: options.debug ?? false,
    pool: { min: Math.min(options.poolMin ?? 0, max), max },
    // Requests and activities each fork their own EntityManager.
    allowGlobalContext: false,
    migrations: {
      // Imported explicitly so migrations run the same under tsx, vitest and a compiled build.
      migrationsList,
      path: join(here, 'migrations'),
      pathTs: join(here, 'migrations'),
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
    },
  });
}

export async function openOrm(databaseUrl: string, options?: { debug?: boolean; poolMax?: number; poolMin?: number }): Promise<MikroORM> {
  return MikroORM.init(ormConfig(databaseUrl, options));
}

export async function migrateUp(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

export type { MikroORM };
