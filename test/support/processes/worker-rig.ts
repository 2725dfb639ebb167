import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import { startTwilioTestServer } from '../../../src/dev/twilio-server.js';
import { registerSearchAttributes } from '../../../src/engine/register-search-attributes.js';
import { testBundle, TWILIO_SID, TWILIO_TOKEN } from '../engine.js';
import { startSmtpCapture } from '../smtp-capture.js';
import { killProcess, startWorkerProcess } from './worker-process.js';

export type WorkerRig = Awaited<ReturnType<typeof startWorkerRig>>;

/**
 * What the tests with real worker processes run them on: the Temporal dev server, the SMTP
 * server and the Twilio test server, and the workflow bundle built once into a file for every
 * worker. The database is the caller's (one test restarts it under the workers). `stop()`
 * SIGKILLs the workers still alive and stops the rest.
 */
export async function startWorkerRig(databaseUrl: string) {
  // The dev server's own warnings (tasks timing out on a killed worker) are these tests' point, not noise for the run.
  const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: inject('temporalCli') }, log: { format: 'pretty', level: 'error' } } });
  await registerSearchAttributes(env.connection);
  const smtp = await startSmtpCapture();
  const twilio = await startTwilioTestServer({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
  const bundlePath = join(tmpdir(), `comms-workers-bundle-${randomUUID()}.js`);
  writeFileSync(bundlePath, (await testBundle()).code);
  const children = new Set<ChildProcess>();
  return {
    env,
    smtp,
    twilio,
    /** A worker process as deployed (`tsx src/worker.ts`) on `taskQueue`; resolves once it polls. */
    async startWorker(taskQueue: string, workerEnv: Record<string, string> = {}): Promise<ChildProcess> {
      const child = await startWorkerProcess({ databaseUrl, temporalAddress: env.address, taskQueue, bundlePath, smtp, twilio, env: workerEnv }, (gone) => children.delete(gone));
      children.add(child);
      return child;
    },
    async stop() {
      await Promise.all([...children].map(killProcess));
      await env.teardown();
      await Promise.all([smtp.stop(), twilio.stop()]);
      rmSync(bundlePath, { force: true });
    },
  };
}
