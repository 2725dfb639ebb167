import { existsSync, statSync } from 'node:fs';
import { dirname, parse } from 'node:path';

/**
 * The first folder on the way to `path` that other users cannot enter (no `x` for others), or
 * null. As root, the embedded PostgreSQL runs as user `postgres`, which must reach its binaries
 * (under node_modules) and its data folder through every parent.
 */
export function closedParent(path: string): string | null {
  const { root } = parse(path);
  for (let current = path; ; current = dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return current;
    if (current === root) return null;
  }
}
