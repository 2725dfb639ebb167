import { Client, Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/dev/ports.js';
import { registerSearchAttributes } from '../../src/engine/register-search-attributes.js';
import { AppointmentStart, CenterId, SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { startTemporalDevServer } from '../../src/dev/temporal-dev-server.js';

const dataDirs: string[] = [];
afterAll(() => dataDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function listCustomAttributes(connection: Connection, namespace = 'default') {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return customAttributes ?? {};
}

/** What the server must report: name → the wire enum of its type. */
const expectedOnServer = Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)]));

describe('X6-search: the Temporal dev server from the installed CLI', () => {
  it('X6-search: starts on a SQLite file, registers the search attributes, and keeps workflows across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'comms-temporal-dev-'));
    dataDirs.push(dataDir);
    const ports = { port: await freePort(), uiPort: await freePort() };
    let server = await startTemporalDevServer({ cliPath: inject('temporalCli'), dataDir, ...ports });
    const workflowId = `appointment:test:${Date.now()}`;
    try {
      const connection = await Connection.connect({ address: server.address });
      const registered = await listCustomAttributes(connection);
      expect(registered).toMatchObject(expectedOnServer);
      expect(Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, key.type]))).toEqual({
        CenterId: 'KEYWORD',
        AppointmentId: 'KEYWORD',
        PatientId: 'KEYWORD',
        ResourceId: 'KEYWORD',
        AppointmentStart: 'DATETIME',
        AppointmentStatus: 'KEYWORD',
        NextMessageAt: 'DATETIME',
      });

      // Nobody polls this queue: the workflow just stays open, which is all a restart must keep.
      const client = new Client({ connection });
      await client.workflow.start('appointmentWorkflow', {
        taskQueue: 'nobody-polls-this',
        workflowId,
        typedSearchAttributes: [
          { key: CenterId, value: 'center-1' },
          { key: AppointmentStart, value: new Date('2030-01-02T09:00:00Z') },
        ],
      });
      await connection.close();
      const ui = await fetch(server.uiUrl);
      expect(ui.status).toBe(200);
    } finally {
      await server.stop();
    }

    server = await startTemporalDevServer({ cliPath: inject('temporalCli'), dataDir, ...ports });
    try {
      const connection = await Connection.connect({ address: server.address });
      const client = new Client({ connection });
      const description = await client.workflow.getHandle(workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.typedSearchAttributes.get(CenterId)).toBe('center-1');
      // Found by the operators' query in the Web UI (visibility is eventually consistent).
      await expect
        .poll(async () => (await client.workflow.count(`CenterId = "center-1" AND AppointmentStart > "2029-12-31T00:00:00Z"`)).count, { timeout: 10_000 })
        .toBe(1);
      // Registering again (as every start does) is harmless.
      await registerSearchAttributes(connection, 'default');
      expect(await listCustomAttributes(connection)).toMatchObject(expectedOnServer);
      await connection.close();
    } finally {
      await server.stop();
    }
  });

  it('X6-search: a busy port is reported clearly instead of a hanging start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'comms-temporal-dev-'));
    dataDirs.push(dataDir);
    const first = await startTemporalDevServer({ cliPath: inject('temporalCli'), dataDir, port: await freePort(), uiPort: await freePort() });
    try {
      const port = Number(first.address.split(':')[1]);
      await expect(
        startTemporalDevServer({ cliPath: inject('temporalCli'), dataDir: join(dataDir, 'other'), port, uiPort: await freePort() }),
      ).rejects.toThrow(/port 127\.0\.0\.1:\d+ is already in use/);
    } finally {
      await first.stop();
    }
  });
});

describe('X6-search: @temporalio/testing environments on the installed binaries', () => {
  it('X6-search: createTimeSkipping starts the installed test server, takes the search attributes and skips time', async () => {
    const env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: inject('temporalTestServer') } },
    });
    try {
      const before = await env.currentTimeMs();
      await env.sleep('3 days');
      expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(3 * 24 * 3600 * 1000);

      // This server can add search attributes (though not list them).
      await registerSearchAttributes(env.connection, 'default');
      const handle = await env.client.workflow.start('appointmentWorkflow', {
        taskQueue: 'nobody-polls-this',
        workflowId: `appointment:test-skipping:${Date.now()}`,
        typedSearchAttributes: [{ key: AppointmentStart, value: new Date('2030-01-02T09:00:00Z') }],
      });
      const description = await handle.describe();
      expect(description.typedSearchAttributes.get(AppointmentStart)).toEqual(new Date('2030-01-02T09:00:00Z'));
      await handle.terminate();
    } finally {
      await env.teardown();
    }
  });

  it('X6-search: createLocal starts the installed CLI with the search attributes registered', async () => {
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: inject('temporalCli') }, searchAttributes: SEARCH_ATTRIBUTES },
    });
    try {
      expect(await listCustomAttributes(env.connection)).toMatchObject(expectedOnServer);
    } finally {
      await env.teardown();
    }
  });
});
