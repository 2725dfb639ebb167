/**
 * `npm start`: the whole local stack in one command (see src/dev/stack.ts and the README).
 *
 * Two processes, so that Ctrl-C stops things in order: this one (in the terminal's foreground)
 * catches Ctrl-C and asks the stack process to stop; the stack process runs in its own session,
 * so the terminal's SIGINT does not hit PostgreSQL and Temporal before the worker and API are down.
 * If this process dies, the stack notices the closed IPC channel and stops itself.
 *
 *   npm start                   start (data in .data/, reused by the next start)
 *   npm start -- --fresh-keys   also make new demo API keys (the old ones are revoked)
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorForLog } from './activities/failures.js';
import { ConfigError } from './config.js';
// Type-only: the launcher loads none of the stack's modules.
import type { LocalStack, StackProgress } from './dev/stack.js';

const STACK_ROLE = 'COMMS_LOCAL_STACK_PROCESS';
const rootDir = fileURLToPath(new URL('..', import.meta.url));
const stopMessage = { type: 'comms-stop' } as const;

if (process.env[STACK_ROLE] === '1') await runStack();
else await launch();

/** Foreground role: start the stack process, relay Ctrl-C, exit with its exit code. */
async function launch(): Promise<void> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    cwd: process.cwd(),
    env: { ...process.env, [STACK_ROLE]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  // One Ctrl-C can arrive more than once (the terminal signals the whole group, and npm and tsx
  // relay it too): repeats within 2 s count as the same request.
  let firstInterruptAt: number | null = null;
  const relay = () => {
    const now = Date.now();
    if (firstInterruptAt === null) {
      firstInterruptAt = now;
      console.log('\nstopping (Ctrl-C again to force) ...');
      if (child.connected) child.send(stopMessage);
    } else if (now - firstInterruptAt > 2_000 && child.pid !== undefined) {
      // Forced: the whole process group, PostgreSQL and Temporal included.
      process.kill(-child.pid, 'SIGKILL');
    }
  };
  process.on('SIGINT', relay);
  process.on('SIGTERM', relay);
  process.on('SIGHUP', relay);
  const code = await new Promise<number>((done) => child.once('exit', (exitCode, signal) => done(exitCode ?? (signal ? 1 : 0))));
  process.exit(code);
}

/** Stack role: start everything, print where to look, stop on request. */
async function runStack(): Promise<void> {
  const freshKeys = process.argv.includes('--fresh-keys');
  console.log('clinic-comms local stack: starting ...');
  const { parseLocalEnv, startLocalStack } = await import('./dev/stack.js');

  let stack: LocalStack;
  try {
    installTemporalRuntime(resolve(rootDir, parseLocalEnv(process.env).LOCAL_DATA_DIR ?? '.data', 'logs'));
    stack = await startLocalStack({ rootDir, env: process.env, freshKeys, onProgress: printProgress });
  } catch (err) {
    console.error(`\nThe local stack did not start: ${err instanceof ConfigError ? err.message : describe(err)}`);
    process.exit(1);
  }
  printSummary(stack);

  let exitCode = 0;
  const stopped = new Promise<void>((done) => {
    let stopping = false;
    const stop = async (reason: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${reason}: stopping API, worker, Twilio test server, mail catcher, Temporal, PostgreSQL ...`);
      await stack.stop();
      console.log('stopped.');
      done();
    };
    process.on('message', (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'type' in message && message.type === stopMessage.type) void stop('Ctrl-C');
    });
    // The launcher is gone (closed terminal, killed): do not leave servers behind.
    process.once('disconnect', () => void stop('launcher gone'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    stack.crashed.catch((err: unknown) => {
      exitCode = 1;
      console.error(`\n${describe(err)}`);
      void stop('a part failed');
    });
  });
  await stopped;
  process.exit(exitCode);
}

/**
 * The Temporal SDK's own logs (bundler output, worker state) go to a file instead of the
 * terminal; errors still show. No shutdown signals: this process stops the worker itself, in order.
 */
function installTemporalRuntime(logDir: string): void {
  mkdirSync(logDir, { recursive: true });
  const file = createWriteStream(join(logDir, 'temporal-sdk.log'), { flags: 'a' });
  const logger = new DefaultLogger('INFO', ({ level, message, meta }) => {
    // An Error has no enumerable fields (it would show as {}): its class and message instead.
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...meta }, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value instanceof Error ? errorForLog(value) : value,
    );
    file.write(`${line}\n`);
    if (level === 'ERROR') console.error(`[temporal] ${message}`);
  });
  Runtime.install({ logger, shutdownSignals: [] });
}

function printProgress(event: StackProgress): void {
  if (event.phase === 'start') console.log(`  … ${event.step}`);
  else console.log(`  ✓ ${event.step} (${(event.ms / 1000).toFixed(1)} s${event.note ? `, ${event.note}` : ''})`);
}

function printSummary(stack: LocalStack): void {
  const { urls } = stack;
  const show = (path: string) => relative(process.cwd(), path) || path;
  const rows: [string, string][] = [
    ['API', urls.api],
    ['API docs', urls.docs],
    ['Health', urls.healthz],
    ['Temporal Web UI', urls.temporalUi ?? `(external Temporal at ${urls.temporalAddress})`],
    ['Temporal gRPC', `${urls.temporalAddress} (namespace ${urls.temporalNamespace})`],
    ['Mail catcher UI', `${urls.mailUi}   (caught mail as JSON: ${urls.mailApi})`],
    ['Twilio test server', `${urls.twilio}   (what it received: ${urls.twilioRecorded})`],
    ['PostgreSQL', `${urls.postgres}${stack.postgres.dataDir ? `   (embedded, data in ${show(stack.postgres.dataDir)})` : ''}`],
    ['Logs', show(stack.logDir)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = ['', 'Local stack is up. Ctrl-C stops it; the next `npm start` reuses the data.', ''];
  for (const [label, value] of rows) lines.push(`  ${label.padEnd(width)}  ${value}`);

  lines.push('', `Local secrets (${stack.secrets.created ? 'generated now, ' : ''}kept in ${show(stack.secrets.file)}; local only):`);
  for (const [key, value] of Object.entries(stack.secrets.values)) lines.push(`  ${key}=${value}`);

  const { demo } = stack;
  lines.push('', `Demo center "Poliambulatorio Demo" (id ${demo.centerId})`);
  if (demo.keys) {
    lines.push(`  admin key    ${demo.keys.admin}`, `  booking key  ${demo.keys.booking}`);
    lines.push('  Shown once: only their hashes are stored. `npm start -- --fresh-keys` makes new ones.');
  } else {
    lines.push('  Its admin and booking keys were printed at the first start (only hashes are stored);');
    lines.push('  `npm start -- --fresh-keys` makes new ones, or use PLATFORM_API_KEY above.');
  }
  lines.push('', `Console (single use, 10 minutes; POST /v1/console-links with the platform key for another):`, `  ${stack.consoleLink}`);
  lines.push('', `Try:  curl ${urls.healthz}`, '');
  console.log(lines.join('\n'));
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}
