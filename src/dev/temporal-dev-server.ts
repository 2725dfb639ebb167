import { Connection } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerSearchAttributes } from '../engine/register-search-attributes.js';
import { portIsFree } from './ports.js';
import { readPidFile, stopStaleProcess } from './stale-process.js';

export interface TemporalDevServerOptions {
  /** The Temporal CLI (see temporal-binaries.ts). */
  cliPath: string;
  /** Folder of the SQLite file (`temporal.db`), so workflows survive a restart. */
  dataDir: string;
  ip?: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  /** Every line the server prints (it is chatty; callers usually write it to a file). */
  onLog?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface TemporalDevServer {
  /** host:port for `Connection.connect({ address })`. */
  address: string;
  uiUrl: string;
  namespace: string;
  dbFile: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with a SQLite file in `dataDir`, waits until it answers,
 * and registers the custom search attributes through the operator API (the CLI's own
 * `--search-attribute` flags are ignored on a reused SQLite file).
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  const namespace = options.namespace ?? 'default';
  const dataDir = resolve(options.dataDir);
  const dbFile = join(dataDir, 'temporal.db');
  const pidFile = join(dataDir, 'server.pid');
  mkdirSync(dataDir, { recursive: true });

  const stalePid = readPidFile(pidFile);
  if (stalePid !== null) await stopStaleProcess(stalePid, ['start-dev', dbFile]);
  rmSync(pidFile, { force: true });
  for (const [what, p] of [['gRPC', port], ['Web UI', uiPort]] as const) {
    if (!(await portIsFree(p, ip))) {
      throw new Error(`Temporal dev server: ${what} port ${ip}:${p} is already in use (another \`npm start\` or Temporal server running?)`);
    }
  }

  const args = ['server', 'start-dev', '--db-filename', dbFile, '--ip', ip, '--port', String(port), '--ui-port', String(uiPort)];
  args.push('--namespace', namespace, '--log-level', 'warn');

  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const recent: string[] = [];
  const onLine = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 30) recent.shift();
      options.onLog?.(line);
    }
  };
  child.stdout.on('data', onLine);
  child.stderr.on('data', onLine);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let running = true;
  void exited.then(() => (running = false));
  // A crash of this process must not leave the server behind (it would hold the ports).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  if (child.pid === undefined) throw new Error(`could not start ${options.cliPath}`);
  writeFileSync(pidFile, String(child.pid));

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (running) {
      child.kill('SIGINT');
      const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(pidFile, { force: true });
  };

  const address = `${ip}:${port}`;
  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    const connection = await waitForServer(address, deadline, () => running);
    try {
      await registerSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop();
    const tail = recent.slice(-10).join('\n');
    throw new Error(`Temporal dev server did not start: ${(err as Error).message}${tail ? `\nlast output:\n${tail}` : ''}`, { cause: err });
  }
  return { address, uiUrl: `http://${ip}:${uiPort}`, namespace, dbFile, pid: child.pid, stop };
}

export async function waitForServer(address: string, deadline: number, isRunning: () => boolean): Promise<Connection> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!isRunning()) throw new Error('the server process exited');
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return connection;
      } catch (err) {
        await connection.close();
        throw err;
      }
    } catch (err) {
      lastError = err;
      await sleep(250);
    }
  }
  throw new Error(`no answer on ${address}: ${String(lastError)}`);
}
