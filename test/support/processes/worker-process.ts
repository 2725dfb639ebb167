import type { ChildProcess } from 'node:child_process';
import { providerEnv, startServiceProcess } from './service-process.js';

export interface WorkerProcessSetup {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  /** A pre-built workflow bundle (bundling in each process would cost seconds of CPU). */
  bundlePath: string;
  smtp: { host: string; port: number };
  twilio: { url: string };
  /** Anything else of the worker's environment (e.g. PHONE_MESSAGES_PER_SECOND). */
  env?: Record<string, string>;
}

/**
 * A worker process as deployed (`tsx src/worker.ts`, what `npm run worker` runs); resolves once
 * it polls. Exits are the caller's to watch; `onExit` is handy to forget a dead child.
 */
export async function startWorkerProcess(setup: WorkerProcessSetup, onExit?: (child: ChildProcess) => void): Promise<ChildProcess> {
  const { child } = await startServiceProcess(
    'src/worker.ts',
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: setup.databaseUrl,
      TEMPORAL_ADDRESS: setup.temporalAddress,
      TEMPORAL_TASK_QUEUE: setup.taskQueue,
      WORKFLOW_BUNDLE_PATH: setup.bundlePath,
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
      PLATFORM_API_KEY: 'ck_platform_fault_test_0123456789',
      LINK_SIGNING_SECRET: 'fault-test-link-secret-0123456789abcdef',
      ...providerEnv(setup.smtp, setup.twilio),
      ...setup.env,
    },
    'worker running',
  );
  if (onExit) child.once('exit', () => onExit(child));
  return child;
}

/** SIGKILL, and wait until it is gone. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
