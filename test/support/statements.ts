import type { MikroORM } from '../../src/db/orm.js';

/** Every statement sent through the ORM's connection while `work` runs (BEGIN / COMMIT go through knex and are not counted). */
export async function statementsOf(orm: MikroORM, work: () => Promise<unknown>): Promise<string[]> {
  const connection = orm.em.getConnection() as unknown as { executeQuery: (...args: unknown[]) => Promise<unknown> };
  const original = connection.executeQuery;
  const seen: string[] = [];
  connection.executeQuery = (...args: unknown[]) => {
    seen.push(String(args[0]));
    return original.apply(connection, args);
  };
  try {
    await work();
  } finally {
    connection.executeQuery = original;
  }
  return seen;
}
