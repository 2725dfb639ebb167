import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as {
  packages: Record<string, { version?: string; engines?: Record<string, string> | string[]; optional?: boolean }>;
};

describe('supported Node: every installed package runs on it', () => {
  it('Node 20: no package in package-lock.json wants a Node the running one does not satisfy (npm install prints no EBADENGINE)', () => {
    // npm's own check: the lock file records each package's `engines` as published.
    const unsatisfied = Object.entries(lock.packages)
      .filter(([path]) => path.startsWith('node_modules/'))
      .flatMap(([path, pkg]) => {
        const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
        return range && !semver.satisfies(process.version, range, { includePrerelease: true }) ? [`${path.slice('node_modules/'.length)}@${pkg.version} wants node ${range}`] : [];
      });
    expect(unsatisfied, `on ${process.version}`).toEqual([]);
  });

  it('Node 20: the project itself declares the Node it runs on, and the CI checks the same floor', () => {
    const own = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { engines: { node: string } };
    expect(semver.satisfies(process.version, own.engines.node)).toBe(true);
    expect(semver.minVersion(own.engines.node)?.major).toBe(20);
  });
});
