import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** What the supervisor tells about a child (src/dev.ts prints these). */
export type ChildEvent =
  | { type: 'started'; name: string; pid: number; attempt: number }
  | { type: 'exited'; name: string; pid: number; code: number | null; signal: NodeJS.Signals | null; restartInMs: number | null }
  | { type: 'log'; name: string; line: string };

export interface ChildSpec {
  /** Shown in the log: `worker`, `api`. */
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Every line the child writes (stdout and stderr) is appended here. */
  logFile: string;
  onEvent?: (event: ChildEvent) => void;
  /** Back-off after a crash: first wait, doubled each crash in a row, capped. Defaults 1 s and 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** A child that ran this long before it died starts again from the first wait. Default 60 s. */
  stableAfterMs?: number;
  /** After SIGTERM, how long to wait before SIGKILL. Default 20 s (the worker finishes its running activities). */
  stopTimeoutMs?: number;
}

export interface SupervisedChild {
  readonly name: string;
  /** The running process's pid; undefined while waiting to restart. */
  readonly pid: number | undefined;
  /** Starts so far, the first included. */
  readonly starts: number;
  /** Resolves with the next start (after the current process, if any, is gone). */
  nextStart(): Promise<number>;
  /** Resolves when the running process exits (at once if none runs). */
  exited(): Promise<void>;
  /** SIGTERM, then SIGKILL after stopTimeoutMs; no restart after this. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Runs one child process and starts it again when it dies, waiting longer after each crash in a
 * row (1 s, 2 s, 4 s … 30 s) so a child that cannot start does not spin. Lines with a pino level
 * of warn or worse are also passed on as `log` events, so the terminal shows what went wrong.
 */
export function superviseChild(spec: ChildSpec): SupervisedChild {
  const initialMs = spec.backoff?.initialMs ?? 1_000;
  const maxMs = spec.backoff?.maxMs ?? 30_000;
  const stableAfterMs = spec.stableAfterMs ?? 60_000;
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  let child: ChildProcess | undefined;
  let childExit: Promise<void> = Promise.resolve();
  let starts = 0;
  let crashesInRow = 0;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let startWaiters: ((pid: number) => void)[] = [];

  const start = () => {
    const startedAt = Date.now();
    const proc = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    child = proc;
    starts += 1;
    const pid = proc.pid ?? -1;
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        log.write(`${line}\n`);
        if (isWarning(line)) spec.onEvent?.({ type: 'log', name: spec.name, line });
      });
    }
    spec.onEvent?.({ type: 'started', name: spec.name, pid, attempt: starts });
    const waiters = startWaiters;
    startWaiters = [];
    waiters.forEach((done) => done(pid));
    childExit = new Promise<void>((done) => {
      // 'error' (spawn failed) is followed by 'exit' only sometimes: settle on whichever comes first.
      let settled = false;
      const ended = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        child = undefined;
        crashesInRow = Date.now() - startedAt >= stableAfterMs ? 1 : crashesInRow + 1;
        const restartInMs = stopping ? null : Math.min(maxMs, initialMs * 2 ** (crashesInRow - 1));
        spec.onEvent?.({ type: 'exited', name: spec.name, pid, code, signal, restartInMs });
        if (restartInMs !== null) restartTimer = setTimeout(start, restartInMs);
        done();
      };
      proc.once('exit', ended);
      proc.once('error', (err) => {
        log.write(`spawn failed: ${err.message}\n`);
        ended(null, null);
      });
    });
  };
  start();

  return {
    name: spec.name,
    get pid() {
      return child?.pid;
    },
    get starts() {
      return starts;
    },
    nextStart: () => new Promise<number>((done) => startWaiters.push(done)),
    exited: () => childExit,
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const running = child;
      if (running) {
        running.kill('SIGTERM');
        const timer = setTimeout(() => running.kill('SIGKILL'), spec.stopTimeoutMs ?? 20_000);
        await childExit;
        clearTimeout(timer);
      }
      await new Promise<void>((done) => log.end(done));
    },
  };
}

/** pino's JSON lines at warn (40) or above, and other lines that speak of a failure (a crash, a stack trace's head). */
function isWarning(line: string): boolean {
  if (!line.startsWith('{')) return /\[ERROR\]|\b(error|fail)/i.test(line);
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    return typeof level === 'number' ? level >= 40 : level === 'WARN' || level === 'ERROR';
  } catch {
    return true;
  }
}
