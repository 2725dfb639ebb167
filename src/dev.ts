/**
 * `npm start`: the whole local stack in one command (see src/dev/stack.ts and the README).
 *
 * A launcher and a supervisor, so that Ctrl-C stops things in order: the launcher (in the
 * terminal's foreground) catches Ctrl-C and asks the supervisor to stop; the supervisor runs in its
 * own session with the services and the worker and API child processes, so the terminal's SIGINT
 * does not hit PostgreSQL and Temporal before the worker and API are down. If the launcher dies,
 * the supervisor notices the closed IPC channel and stops everything.
 *
 *   npm start                   start (data in .data/, reused by the next start)
 *   npm start -- --fresh-keys   also make new demo API keys (the old ones are revoked)
 */
import { spawn } from 'node:child_process';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config.js';
// Type-only: the launcher loads none of the stack's modules.
import type { LocalStack, StackProgress } from './dev/stack.js';
import type { ChildEvent } from './dev/supervisor.js';

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
  const { startLocalStack } = await import('./dev/stack.js');

  let stack: LocalStack;
  let up = false;
  try {
    stack = await startLocalStack({ rootDir, env: process.env, freshKeys, onProgress: printProgress, onChild: (event) => printChild(event, up) });
    up = true;
  } catch (err) {
    console.error(`\nThe local stack did not start: ${err instanceof ConfigError ? err.message : describe(err)}`);
    process.exit(1);
  }
  printSummary(stack);

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
  });
  await stopped;
  process.exit(0);
}

/** Starts and exits of the worker and API processes; during start-up only what went wrong. */
function printChild(event: ChildEvent, up: boolean): void {
  const at = new Date().toISOString().slice(11, 19);
  if (event.type === 'log') console.error(`  [${event.name}] ${event.line}`);
  else if (event.type === 'started' && event.attempt > 1) console.log(`${at} ${event.name} started again (pid ${event.pid}, start ${event.attempt})`);
  else if (event.type === 'exited' && (up || event.restartInMs === null)) {
    const how = event.signal ? `killed by ${event.signal}` : `exit code ${event.code}`;
    const next = event.restartInMs === null ? 'not restarted (stopping)' : `restarting in ${event.restartInMs / 1000} s`;
    console.log(`${at} ${event.name} (pid ${event.pid}) exited: ${how}; ${next}`);
  }
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
    ['Worker / API', `pids ${stack.worker.pid} / ${stack.api.pid}, restarted when they crash (logs: worker.log, api.log)`],
    ['Stack environment', `${show(stack.envFile)}   (\`npm run worker\` / \`npm run api\` elsewhere join this stack)`],
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
