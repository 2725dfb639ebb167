import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One embedded PostgreSQL for the whole run (each test file gets its own database).
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Time-skipping environments are global per server; files run in separate forks.
    pool: 'forks',
    maxWorkers: 2,
  },
});
