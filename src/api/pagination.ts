import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName, FilterQuery } from '@mikro-orm/core';
import { z } from '@hono/zod-openapi';
import { ApiError } from './problem.js';

/** The last row's createdAt (epoch ms) and id: a format the document can state exactly. */
const CURSOR = /^([0-9]{1,13})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** `limit` and `cursor` of every list; newest first, the cursor is the last row's (createdAt, id). */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Page size, at most 200.' }),
  cursor: z.string().regex(CURSOR, 'is not a cursor returned by this list').optional().openapi({ description: 'The `nextCursor` of the previous page.' }),
};

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      data: z.array(item),
      nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
    })
    .openapi(name);

interface Row {
  id: string;
  createdAt: Date;
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const match = CURSOR.exec(cursor);
  if (!match) throw ApiError.validation([{ field: 'cursor', message: 'is not a cursor returned by this list' }]);
  return { createdAt: new Date(Number(match[1])), id: match[2]! };
}

function encodeCursor(row: Row): string {
  return `${row.createdAt.getTime()}_${row.id}`;
}

/** One page of `entity` rows matching `where`, newest first. */
export async function findPage<T extends Row, V>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  page: { limit: number; cursor?: string | undefined },
  toView: (rows: T[]) => V[] | Promise<V[]>,
): Promise<{ data: V[]; nextCursor: string | null }> {
  const conditions: FilterQuery<T>[] = [where];
  if (page.cursor) {
    const after = decodeCursor(page.cursor);
    conditions.push({ $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, id: { $lt: after.id } }] } as FilterQuery<T>);
  }
  const rows = await em.find(entity, { $and: conditions } as FilterQuery<T>, {
    orderBy: { createdAt: 'desc', id: 'desc' } as never,
    limit: page.limit + 1,
  });
  const more = rows.length > page.limit;
  const shown = more ? rows.slice(0, page.limit) : rows;
  const last = shown[shown.length - 1];
  return { data: await toView(shown), nextCursor: more && last ? encodeCursor(last) : null };
}
