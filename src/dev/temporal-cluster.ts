/**
 * A real Temporal server (go.temporal.io/server, built by scripts/setup-temporal-cluster.mjs)
 * with persistence and visibility on PostgreSQL, plus Temporal's Web UI server. Unlike
 * `temporal server start-dev` (SQLite, one namespace made for you), this is the server a
 * deployment runs: schema set up and upgraded by temporal-sql-tool, the namespace registered
 * through the API, the frontend, history, matching and worker services all in one process here
 * (a deployment runs them as separate processes with `start --service=…`).
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
// @ts-expect-error plain ESM script, also run on its own by CI and by hand
import { clusterBinaryPaths, findClusterBinaries } from '../../scripts/setup-temporal-cluster.mjs';
import { registerSearchAttributes } from '../engine/register-search-attributes.js';
import { freePort } from './ports.js';
import { readPidFile, stopStaleProcess } from './stale-process.js';
import { dynamicConfigText, serverConfigText, SQL_PASSWORD_ENV, uiConfigText, type ClusterDatabase, type ClusterPorts } from './temporal-cluster-config.js';
import { waitForServer } from './temporal-dev-server.js';

export const CLUSTER_SETUP_COMMAND = 'node scripts/setup-temporal-cluster.mjs';

export interface ClusterBinaries {
  version: string;
  uiVersion: string;
  server: string;
  sqlTool: string;
  schemaDir: string;
  /** null: the Web UI server is not built here (the cluster runs without a UI). */
  ui: string | null;
}

/** The built binaries, or null (with what is missing) when the setup script has not run here. */
export function clusterBinaries(): { binaries: ClusterBinaries | null; missing: string[] } {
  const found = findClusterBinaries() as { paths: ClusterBinaries | null; missing: string[] };
  return { binaries: found.paths, missing: found.missing };
}

/** Where the setup script puts (or would put) the binaries of the pinned versions. */
export const clusterPaths = (): { dir: string; version: string; uiVersion: string } => clusterBinaryPaths() as { dir: string; version: string; uiVersion: string };

export interface TemporalClusterOptions {
  /** A PostgreSQL URL whose user may create databases; the server's databases go next to it. */
  databaseUrl: string;
  /** Config files and the pid file. */
  dataDir: string;
  /** Default store; visibility goes to `{databaseName}_visibility`. Default `temporal`. */
  databaseName?: string;
  ip?: string;
  /** Frontend gRPC port (default: a free one). The internal ports are always free ones. */
  port?: number;
  /** Web UI port (default: a free one); null: no UI. */
  uiPort?: number | null;
  namespace?: string;
  numHistoryShards?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  onLog?: (line: string) => void;
  onProgress?: (step: string) => void;
  startTimeoutMs?: number;
}

export interface TemporalCluster {
  /** host:port of the frontend, for `Connection.connect({ address })`. */
  address: string;
  uiUrl: string | null;
  namespace: string;
  pid: number;
  databases: { default: string; visibility: string };
  stop(): Promise<void>;
}

const run = promisify(execFile);

export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  const { binaries, missing } = clusterBinaries();
  if (!binaries) throw new Error(`The Temporal cluster binaries are not built on this machine (missing ${missing.join(', ')}). Run \`${CLUSTER_SETUP_COMMAND}\` once (needs Go).`);
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const progress = options.onProgress ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });

  const url = new URL(options.databaseUrl);
  const password = decodeURIComponent(url.password);
  const databaseName = options.databaseName ?? 'temporal';
  const db: ClusterDatabase = {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    database: databaseName,
    visibilityDatabase: `${databaseName}_visibility`,
  };

  progress(`schema (${db.database}, ${db.visibilityDatabase})`);
  for (const [database, schema] of [[db.database, 'temporal'], [db.visibilityDatabase, 'visibility']] as const) {
    await setUpSchema({ sqlTool: binaries.sqlTool, databaseUrl: options.databaseUrl, db, password, database, versionedDir: join(binaries.schemaDir, schema, 'versioned') });
  }

  const ports: ClusterPorts = {
    frontend: options.port ?? (await freePort()),
    frontendHttp: await freePort(),
    frontendMembership: await freePort(ip),
    history: await freePort(),
    historyMembership: await freePort(ip),
    matching: await freePort(),
    matchingMembership: await freePort(ip),
    worker: await freePort(),
    workerMembership: await freePort(ip),
  };
  const configFile = join(dataDir, 'temporal-server.yaml');
  const dynamicConfigFile = join(dataDir, 'dynamic-config.yaml');
  writeFileSync(dynamicConfigFile, dynamicConfigText());
  writeFileSync(configFile, serverConfigText({ ip, ports, db, numHistoryShards: options.numHistoryShards ?? 4, dynamicConfigFile, logLevel: options.logLevel ?? 'warn' }));

  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stoppers.reverse().splice(0)) await step();
  };
  try {
    progress(`Temporal server v${binaries.version}`);
    const server = await startService({
      name: 'temporal-server',
      command: binaries.server,
      args: ['--config-file', configFile, '--allow-no-auth', 'start'],
      env: { [SQL_PASSWORD_ENV]: password },
      pidFile: join(dataDir, 'temporal-server.pid'),
      onLog: options.onLog,
    });
    stoppers.push(server.stop);
    const address = `${ip}:${ports.frontend}`;
    const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
    const connection = await waitForServer(address, deadline, () => server.running()).catch((err: unknown) => {
      throw new Error(`Temporal server did not answer: ${(err as Error).message}\nlast output:\n${server.recent()}`, { cause: err });
    });
    try {
      progress(`namespace ${namespace} and search attributes`);
      await registerNamespace(connection, namespace, deadline);
    } finally {
      await connection.close();
    }

    let uiUrl: string | null = null;
    if (options.uiPort !== null && binaries.ui) {
      const uiPort = options.uiPort ?? (await freePort());
      const uiDir = join(dataDir, 'ui');
      mkdirSync(uiDir, { recursive: true });
      writeFileSync(join(uiDir, 'development.yaml'), uiConfigText({ ip, uiPort, frontend: address, namespace }));
      progress(`Web UI v${binaries.uiVersion}`);
      const ui = await startService({
        name: 'temporal-ui-server',
        command: binaries.ui,
        args: ['--root', dataDir, '--config', 'ui', '--env', 'development', 'start'],
        env: {},
        pidFile: join(dataDir, 'temporal-ui-server.pid'),
        onLog: options.onLog,
      });
      stoppers.push(ui.stop);
      uiUrl = `http://${ip}:${uiPort}`;
      await waitForHttp(`${uiUrl}/`, deadline, () => ui.running(), ui.recent);
    }
    return { address, uiUrl, namespace, pid: server.pid, databases: { default: db.database, visibility: db.visibilityDatabase }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Creates the database if needed, then `setup-schema` (first time) and `update-schema` (always: upgrades). */
async function setUpSchema(input: { sqlTool: string; databaseUrl: string; db: ClusterDatabase; password: string; database: string; versionedDir: string }): Promise<void> {
  const admin = new pg.Client({ connectionString: input.databaseUrl });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [input.database]);
    if (exists.rowCount === 0) await admin.query(`create database "${input.database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  const target = new URL(input.databaseUrl);
  target.pathname = `/${input.database}`;
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  let initialised: boolean;
  try {
    initialised = (await client.query<{ t: string | null }>(`select to_regclass('schema_version')::text as t`)).rows[0]?.t != null;
  } finally {
    await client.end();
  }
  const args = ['--plugin', 'postgres12', '--ep', input.db.host, '-p', String(input.db.port), '-u', input.db.user, '--db', input.database];
  const env = { ...process.env, SQL_PASSWORD: input.password }; // not on the command line
  try {
    if (!initialised) await run(input.sqlTool, [...args, 'setup-schema', '-v', '0.0'], { env });
    await run(input.sqlTool, [...args, 'update-schema', '-d', input.versionedDir], { env });
  } catch (err) {
    const { stderr, stdout } = err as { stderr?: string; stdout?: string };
    throw new Error(`temporal-sql-tool failed on ${input.database}: ${(stderr || stdout || String(err)).slice(-2000)}`, { cause: err });
  }
}

/**
 * A real server starts with no user namespace (start-dev makes `default` for you): register it,
 * then the search attributes, retrying while the frontend's namespace cache catches up.
 */
async function registerNamespace(connection: Connection, namespace: string, deadline: number): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
  } catch (err) {
    if (!/already exists|already registered/i.test(String((err as Error).message))) throw err;
  }
  for (;;) {
    try {
      await registerSearchAttributes(connection, namespace);
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`namespace ${namespace} not usable: ${(err as Error).message}`, { cause: err });
      await sleep(500);
    }
  }
}

interface Service {
  pid: number;
  running(): boolean;
  recent(): string;
  stop(): Promise<void>;
}

/** A child process that must not outlive this one; its output goes to `onLog`. */
async function startService(input: { name: string; command: string; args: string[]; env: Record<string, string>; pidFile: string; onLog?: (line: string) => void }): Promise<Service> {
  const stalePid = readPidFile(input.pidFile);
  if (stalePid !== null) await stopStaleProcess(stalePid, [input.command]);
  // Its own process group: a terminal's Ctrl-C reaches this process, which stops the server after
  // the workers that use it (killOnExit below still covers a crash of this process).
  const child: ChildProcess = spawn(input.command, input.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...input.env }, detached: true });
  const lines: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 30) lines.shift();
      input.onLog?.(`[${input.name}] ${line}`);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  if (child.pid === undefined) throw new Error(`could not start ${input.command}`);
  writeFileSync(input.pidFile, String(child.pid));
  return {
    pid: child.pid,
    running,
    recent: () => lines.join('\n'),
    async stop() {
      process.removeListener('exit', killOnExit);
      if (running()) {
        child.kill('SIGTERM');
        if ((await Promise.race([exited.then(() => 'done'), sleep(20_000).then(() => 'timeout')])) === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      }
      rmSync(input.pidFile, { force: true });
    },
  };
}

async function waitForHttp(url: string, deadline: number, isRunning: () => boolean, recent: () => string): Promise<void> {
  while (Date.now() < deadline) {
    if (!isRunning()) throw new Error(`${url}: the process exited\n${recent()}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer in time\n${recent()}`);
}
