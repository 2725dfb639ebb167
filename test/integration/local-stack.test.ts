import { Connection } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, portIsFree } from '../../src/dev/ports.js';
import { readStackEnv } from '../../src/dev/stack-env.js';
import { isAlive } from '../../src/dev/stale-process.js';
import { startLocalStack, taskQueuePollers, type LocalStack } from '../../src/dev/stack.js';
import type { ChildEvent } from '../../src/dev/supervisor.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const rootDir = mkdtempSync(join(tmpdir(), 'comms-stack-'));
chmodSync(rootDir, 0o755); // like a cloned repository folder, so PostgreSQL (as `postgres`) can enter it
afterAll(() => rmSync(rootDir, { recursive: true, force: true }));

/** Free ports for every listener of the stack, so a developer's own `npm start` is not in the way. */
async function stackPorts() {
  return {
    API_PORT: await freePort(),
    LOCAL_POSTGRES_PORT: await freePort(),
    LOCAL_TEMPORAL_PORT: await freePort(),
    LOCAL_TEMPORAL_UI_PORT: await freePort(),
    LOCAL_SMTP_PORT: await freePort(),
    LOCAL_MAIL_UI_PORT: await freePort(),
    LOCAL_TWILIO_PORT: await freePort(),
  };
}

describe('local stack: `npm start` supervises the worker and the API as child processes', () => {
  it('local-stack B1: starts everything, answers /healthz, delivers a booking confirmation to the mail catcher, and a second start reuses the data, secrets and demo center', async () => {
    const ports = await stackPorts();
    // Nothing of the caller's environment: the stack must provide every setting itself.
    const env = { ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), LOG_LEVEL: 'warn' };

    const events: ChildEvent[] = [];
    let stack: LocalStack = await startLocalStack({ rootDir, env, onChild: (event) => events.push(event) });
    const childPids: number[] = [];
    let firstKeys: LocalStack['demo']['keys'];
    let firstSecrets: LocalStack['secrets']['values'];
    try {
      expect(stack.postgres).toEqual({ embedded: true, dataDir: join(rootDir, '.data', 'postgres') });
      expect(stack.secrets.created).toBe(true);
      expect(statSync(stack.secrets.file).mode & 0o777).toBe(0o600);
      expect(stack.demo.created).toBe(true);
      firstKeys = stack.demo.keys;
      firstSecrets = stack.secrets.values;
      expect(firstKeys).not.toBeNull();
      expect(stack.urls.postgres).not.toContain('local-only'); // printed without the password
      // The worker and the API are processes of their own, and their environment is in .local/stack.env.
      childPids.push(stack.worker.pid!, stack.api.pid!);
      expect(childPids.every((pid) => pid !== process.pid && isAlive(pid))).toBe(true);
      expect(stack.envFile).toBe(join(rootDir, '.local', 'stack.env'));
      expect(statSync(stack.envFile).mode & 0o777).toBe(0o600);
      expect(readStackEnv(stack.envFile)).toMatchObject({ ...stack.env, LOCAL_STACK_PID: String(process.pid) });
      expect(readFileSync(join(repoRoot, '.gitignore'), 'utf8').split('\n')).toContain('.local/');

      expect(await (await fetch(stack.urls.healthz)).json()).toMatchObject({ status: 'ok', outbox: { failing: 0 } });
      expect((await fetch(stack.urls.docs)).status).toBe(200);
      expect((await fetch(stack.urls.temporalUi!)).status).toBe(200);
      expect(await (await fetch(stack.urls.mailApi)).json()).toEqual([]);
      expect(await (await fetch(stack.urls.twilioRecorded)).json()).toEqual({ messages: [], calls: [], callbacks: [] });
      // The demo admin key reaches its center through the API.
      const center = await fetch(`${stack.urls.api}/v1/center`, { headers: { authorization: `Bearer ${firstKeys!.admin}` } });
      expect(center.status).toBe(200);
      expect(await center.json()).toMatchObject({ name: 'Poliambulatorio Demo', timeZone: 'Europe/Rome' });
      // #14: the console link it prints signs in once (a session cookie), then no more.
      expect(stack.consoleLink.startsWith(`${stack.urls.api}/console/enter?token=`)).toBe(true);
      const entered = await fetch(stack.consoleLink);
      expect([entered.status, entered.headers.get('set-cookie')]).toEqual([200, expect.stringContaining('comms_console=')]);
      expect((await fetch(stack.consoleLink)).status).toBe(401);

      // B1 through the whole wiring: booking key → API → workflow → worker → SMTP → the mail catcher.
      const start = new Date(Date.now() + 3 * 24 * 3600_000);
      const booked = await fetch(`${stack.urls.api}/v1/appointments/demo-appointment-1`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${firstKeys!.booking}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          revision: 1,
          patientId: stack.demo.externalIds.patient,
          resourceId: stack.demo.externalIds.resource,
          serviceId: stack.demo.externalIds.service,
          locationId: stack.demo.externalIds.location,
          startAt: start.toISOString(),
          endAt: new Date(start.getTime() + 30 * 60_000).toISOString(),
        }),
      });
      expect(booked.status).toBeLessThan(300);
      await expect
        .poll(async () => ((await (await fetch(stack.urls.mailApi)).json()) as { to: { address: string }[] }[]).map((m) => m.to[0]?.address), {
          timeout: 30_000,
          interval: 500,
        })
        .toContain('mario.rossi@example.test');
    } finally {
      await stack.stop();
    }
    for (const port of Object.values(ports)) expect(await portIsFree(port), `port ${port} released`).toBe(true);
    expect(childPids.filter(isAlive), 'worker and API processes gone').toEqual([]);
    expect(existsSync(stack.envFile), 'stack.env removed').toBe(false);
    expect(events.filter((e) => e.type === 'exited').map((e) => e.type === 'exited' && e.restartInMs)).toEqual([null, null]);

    stack = await startLocalStack({ rootDir, env });
    try {
      expect(stack.secrets.created).toBe(false);
      expect(stack.secrets.values).toEqual(firstSecrets);
      expect(stack.demo).toMatchObject({ created: false, keys: null });
      const center = await fetch(`${stack.urls.api}/v1/center`, { headers: { authorization: `Bearer ${firstKeys!.admin}` } });
      expect(center.status).toBe(200);
      expect(existsSync(join(rootDir, '.data', 'temporal', 'temporal.db'))).toBe(true);
    } finally {
      await stack.stop();
    }
  }, 300_000);

  it('local-stack: a SIGKILLed worker is restarted with back-off and said so while the API, mail catcher and Twilio stand-in stay up; `npm run worker` elsewhere joins the stack', async () => {
    const ports = await stackPorts();
    const env = { ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), LOG_LEVEL: 'warn', LOCAL_DATA_DIR: '.data-restart' };
    const events: ChildEvent[] = [];
    const stack = await startLocalStack({ rootDir, env, onChild: (event) => events.push(event) });
    const connection = await Connection.connect({ address: stack.urls.temporalAddress });
    let joined: ReturnType<typeof spawn> | undefined;
    try {
      const apiPid = stack.api.pid!;
      const killedPid = stack.worker.pid!;
      const restarted = stack.worker.nextStart();
      process.kill(killedPid, 'SIGKILL');
      await stack.worker.exited();
      // Between the crash and the restart the rest of the stack answers.
      expect((await fetch(stack.urls.healthz)).status).toBe(200);
      expect((await fetch(stack.urls.mailApi)).status).toBe(200);
      expect((await fetch(stack.urls.twilioRecorded)).status).toBe(200);
      const newPid = await restarted;
      expect(newPid).not.toBe(killedPid);
      expect(events).toContainEqual({ type: 'exited', name: 'worker', pid: killedPid, code: null, signal: 'SIGKILL', restartInMs: 1000 });
      expect(events).toContainEqual({ type: 'started', name: 'worker', pid: newPid, attempt: 2 });
      expect(stack.api.pid).toBe(apiPid); // the API was not restarted
      // The new worker polls the task queue (its identity is pid@host).
      await expect.poll(() => taskQueuePollers(connection, stack.config), { timeout: 90_000, interval: 500 }).toContainEqual(expect.stringMatching(new RegExp(`^${newPid}@`)));

      // A second worker: one command in another terminal, reading the stack's environment file.
      const before = new Set(await taskQueuePollers(connection, stack.config));
      joined = spawn('npm', ['run', '--silent', 'worker'], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LOCAL_STACK_ENV: stack.envFile },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      joined.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      joined.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await expect
        .poll(async () => (await taskQueuePollers(connection, stack.config)).filter((identity) => !before.has(identity)), { timeout: 90_000, interval: 500 })
        .toHaveLength(1);
      expect(output).toContain(`joining the local stack (pid ${process.pid}): settings from ${stack.envFile}`);
      expect((await fetch(stack.urls.healthz)).status).toBe(200);
    } finally {
      if (joined?.pid) {
        const exited = new Promise((done) => joined!.once('exit', done));
        process.kill(-joined.pid, 'SIGTERM');
        await exited;
      }
      await connection.close();
      await stack.stop();
    }
  }, 300_000);
});
