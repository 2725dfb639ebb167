import { MikroORM, defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entities } from './entities/index.js';
import { migrationsList } from './migrations/index.js';

const here = dirname(fileURLToPath(import.meta.url));

export function ormConfig(databaseUrl: string, options: { debug?: boolean; poolMax?: number } = {}) {
  return defineConfig({
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: true },
    debug: options.debug ?? false,
    pool: { min: 0, max: options.poolMax ?? 10 },
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

export async function openOrm(databaseUrl: string, options?: { debug?: boolean; poolMax?: number }): Promise<MikroORM> {
  return MikroORM.init(ormConfig(databaseUrl, options));
}

export async function migrateUp(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

export type { MikroORM };
