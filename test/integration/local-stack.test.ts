import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/ports.js';
import { startLocalStack, type LocalStack } from '../../src/dev/stack.js';

const rootDir = mkdtempSync(join(tmpdir(), 'comms-stack-'));
chmodSync(rootDir, 0o755); // like a cloned repository folder, so PostgreSQL (as `postgres`) can enter it
afterAll(() => rmSync(rootDir, { recursive: true, force: true }));

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

describe('local stack: `npm start` in one process', () => {
  it('local-stack B1: starts everything, answers /healthz, delivers a booking confirmation to the mail catcher, and a second start reuses the data, secrets and demo center', async () => {
    const ports = {
      API_PORT: await freePort(),
      LOCAL_POSTGRES_PORT: await freePort(),
      LOCAL_TEMPORAL_PORT: await freePort(),
      LOCAL_TEMPORAL_UI_PORT: await freePort(),
      LOCAL_SMTP_PORT: await freePort(),
      LOCAL_MAIL_UI_PORT: await freePort(),
      LOCAL_TWILIO_PORT: await freePort(),
    };
    // Nothing of the caller's environment: the stack must provide every setting itself.
    const env = { ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), LOG_LEVEL: 'warn' };

    let stack: LocalStack = await startLocalStack({ rootDir, env });
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
  });
});
