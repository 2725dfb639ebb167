import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../src/dev/ports.js';
import { startLocalPostgres } from '../../src/dev/postgres.js';
import { temporalBinaries } from '../../src/dev/temporal-binaries.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    temporalCli: string;
    temporalTestServer: string;
  }
}

/** One embedded PostgreSQL for the run (in the system temp folder); each test file makes its own database. */
export default async function setup(project: TestProject) {
  const binaries = temporalBinaries();
  const dataDir = mkdtempSync(join(tmpdir(), 'comms-test-pg-'));
  const pgServer = await startLocalPostgres({ dataDir, port: await freePort() });
  project.provide('postgresUrl', pgServer.url);
  project.provide('temporalCli', binaries.cli);
  project.provide('temporalTestServer', binaries.testServer);
  return async () => {
    await pgServer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
