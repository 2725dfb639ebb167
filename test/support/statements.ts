import type { MikroORM } from '../../src/db/orm.js';

type ExecuteQuery = (...args: unknown[]) => Promise<unknown>;

/** Runs `work` with the ORM connection's `executeQuery` wrapped by `wrap`, then restores it. */
async function withExecuteQuery<T>(orm: MikroORM, wrap: (original: ExecuteQuery) => ExecuteQuery, work: () => Promise<T>): Promise<T> {
  const connection = orm.em.getConnection() as unknown as { executeQuery: ExecuteQuery };
  const original = connection.executeQuery;
  connection.executeQuery = wrap((...args) => original.apply(connection, args));
  try {
    return await work();
  } finally {
    connection.executeQuery = original;
  }
}

/** Every statement sent through the ORM's connection while `work` runs (BEGIN / COMMIT go through knex and are not counted). */
export async function statementsOf(orm: MikroORM, work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  await withExecuteQuery(
    orm,
    (original) =>
      (...args) => {
        seen.push(String(args[0]));
        return original(...args);
      },
    work,
  );
  return seen;
}

/**
 * Runs `work`; once the first statement matching `pattern` has answered, runs `meanwhile` to its
 * end before that statement's caller goes on (a race made certain). Fails if none matched.
 */
export async function afterFirstStatement<T>(orm: MikroORM, pattern: RegExp, meanwhile: () => Promise<unknown>, work: () => Promise<T>): Promise<T> {
  let held = false;
  const result = await withExecuteQuery(
    orm,
    (original) =>
      async (...args) => {
        const answer = await original(...args);
        if (!held && pattern.test(String(args[0]))) {
          held = true;
          await meanwhile();
        }
        return answer;
      },
    work,
  );
  if (!held) throw new Error(`no statement matched ${pattern}`);
  return result;
}
