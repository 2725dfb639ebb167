/**
 * `npm run stack:cluster`: the local stack (src/dev/stack.ts) against a real Temporal server on
 * PostgreSQL (src/dev/temporal-cluster.ts) instead of `temporal server start-dev`. Data in
 * `.data/cluster/` (its own PostgreSQL databases, secrets, logs), apart from `npm start`'s.
 * Needs the binaries: `node scripts/setup-temporal-cluster.mjs` once per machine (Go).
 *
 *   npm run stack:cluster                 start (Ctrl-C stops everything)
 *   DATABASE_URL=postgres://… npm run stack:cluster   Temporal's databases next to that one
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config.js';
import { startLocalPostgres, type LocalPostgres } from './dev/postgres.js';
import { parseLocalEnv, postgresDataDirFor, startLocalStack, type LocalStack, type StackProgress } from './dev/stack.js';
import { startTemporalCluster, type TemporalCluster } from './dev/temporal-cluster.js';

const rootDir = fileURLToPath(new URL('..', import.meta.url));

// Two processes, as `npm start` does: the stack runs in its own session, so a terminal's Ctrl-C
// (sent to the whole foreground group) does not stop PostgreSQL before the worker and the API;
// this foreground process turns Ctrl-C into an orderly SIGTERM of the stack process.
const STACK_ROLE = 'COMMS_CLUSTER_STACK_PROCESS';
if (process.env[STACK_ROLE] !== '1') {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    env: { ...process.env, [STACK_ROLE]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  process.on('SIGINT', () => child.kill('SIGTERM'));
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.once('exit', (code) => process.exit(code ?? 1));
  await new Promise(() => undefined); // until the stack process exits
}

const local = parseLocalEnv(process.env);
const dataDir = resolve(rootDir, local.LOCAL_DATA_DIR ?? join('.data', 'cluster'));
const logDir = join(dataDir, 'logs');
mkdirSync(logDir, { recursive: true });
const show = (path: string) => relative(process.cwd(), path) || path;

// The SDK's own warnings only, and no signal handling of its own: Ctrl-C is handled below, in order.
Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

const stoppers: (() => Promise<void>)[] = [];
const stopAll = async () => {
  for (const stop of stoppers.reverse().splice(0)) await stop();
};
const progress = (event: StackProgress) =>
  console.log(event.phase === 'start' ? `  … ${event.step}` : `  ✓ ${event.step} (${(event.ms / 1000).toFixed(1)} s${event.note ? `, ${event.note}` : ''})`);
async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  progress({ phase: 'start', step: name });
  const started = performance.now();
  const result = await work();
  progress({ phase: 'done', step: name, ms: Math.round(performance.now() - started) });
  return result;
}

console.log('clinic-comms local stack on a Temporal cluster (PostgreSQL persistence and visibility): starting ...');
let stack: LocalStack;
let cluster: TemporalCluster;
try {
  let adminUrl = process.env.DATABASE_URL;
  let commsUrl = adminUrl;
  if (!adminUrl) {
    const pgLog = createWriteStream(join(logDir, 'postgres.log'), { flags: 'a' });
    const pgDir = postgresDataDirFor(dataDir, rootDir);
    const pg: LocalPostgres = await step(`PostgreSQL (embedded, ${show(pgDir)})`, () =>
      startLocalPostgres({ dataDir: pgDir, port: local.LOCAL_POSTGRES_PORT, onLog: (line) => pgLog.write(line.endsWith('\n') ? line : `${line}\n`) }),
    );
    stoppers.push(() => pg.stop());
    adminUrl = pg.url;
    commsUrl = await pg.createDatabase('comms');
  }
  const temporalLog = createWriteStream(join(logDir, 'temporal-cluster.log'), { flags: 'a' });
  cluster = await step('Temporal cluster', () =>
    startTemporalCluster({
      databaseUrl: adminUrl,
      dataDir: join(dataDir, 'temporal-cluster'),
      port: local.LOCAL_TEMPORAL_PORT,
      uiPort: local.LOCAL_TEMPORAL_UI_PORT,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      onLog: (line) => temporalLog.write(`${line}\n`),
      onProgress: (what) => console.log(`      ${what}`),
    }),
  );
  stoppers.push(() => cluster.stop());
  stack = await startLocalStack({
    rootDir,
    env: {
      ...process.env,
      LOCAL_DATA_DIR: dataDir,
      DATABASE_URL: commsUrl,
      TEMPORAL_ADDRESS: cluster.address,
      ...(cluster.uiUrl ? { TEMPORAL_UI_URL: cluster.uiUrl } : {}),
    },
    freshKeys: process.argv.includes('--fresh-keys'),
    onProgress: progress,
    // The supervisor restarts a crashed worker or API with back-off; say so.
    onChild: (event) => {
      if (event.type === 'exited') console.log(`${event.name} (pid ${event.pid}) exited (${event.code ?? event.signal}); ${event.restartInMs === null ? 'not restarted' : `restart in ${event.restartInMs} ms`}`);
    },
  });
  stoppers.push(() => stack.stop());
} catch (err) {
  console.error(`\nThe cluster stack did not start: ${err instanceof ConfigError || !(err instanceof Error) ? String(err) : (err.stack ?? err.message)}`);
  await stopAll();
  process.exit(1);
}

const { urls, demo } = stack;
console.log(
  [
    '',
    'Local stack on the Temporal cluster is up. Ctrl-C stops it.',
    `  API               ${urls.api}   (docs ${urls.docs})`,
    `  Temporal Web UI   ${cluster.uiUrl ?? '(none)'}`,
    `  Temporal gRPC     ${cluster.address} (namespace ${cluster.namespace}; databases ${cluster.databases.default}, ${cluster.databases.visibility})`,
    `  Mail catcher UI   ${urls.mailUi}`,
    `  Twilio test       ${urls.twilio}   (received: ${urls.twilioRecorded})`,
    `  PostgreSQL        ${urls.postgres}`,
    `  Logs              ${show(logDir)}`,
    `  Secrets           ${show(stack.secrets.file)}   (PLATFORM_API_KEY=${stack.secrets.values.PLATFORM_API_KEY})`,
    demo.keys ? `  Demo center       ${demo.centerId}: admin key ${demo.keys.admin}, booking key ${demo.keys.booking} (shown once)` : `  Demo center       ${demo.centerId} (keys shown at the first start; --fresh-keys makes new ones)`,
    '',
    `  Workflows from the CLI: .tools/temporal/bin/temporal workflow list --address ${cluster.address}`,
    '',
  ].join('\n'),
);

await new Promise<void>((done) => {
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${reason}: stopping the stack, the Temporal cluster and PostgreSQL ...`);
    void stopAll().then(done);
  };
  process.on('SIGINT', () => stop('Ctrl-C'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.once('disconnect', () => stop('launcher gone')); // its terminal closed: leave nothing behind
});
console.log('stopped.');
process.exit(0);
