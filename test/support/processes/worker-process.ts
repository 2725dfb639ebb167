import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

export interface WorkerProcessSetup {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  /** A pre-built workflow bundle (bundling in each process would cost seconds of CPU). */
  bundlePath: string;
  smtp: { host: string; port: number };
  twilio: { url: string; accountSid: string; authToken: string };
  /** Anything else of the worker's environment (e.g. PHONE_MESSAGES_PER_SECOND). */
  env?: Record<string, string>;
}

/**
 * A worker process as deployed (`tsx src/worker.ts`, what `npm run worker` runs); resolves once
 * it polls. Exits are the caller's to watch; `onExit` is handy to forget a dead child.
 */
export async function startWorkerProcess(setup: WorkerProcessSetup, onExit?: (child: ChildProcess) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: setup.databaseUrl,
      TEMPORAL_ADDRESS: setup.temporalAddress,
      TEMPORAL_TASK_QUEUE: setup.taskQueue,
      WORKFLOW_BUNDLE_PATH: setup.bundlePath,
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
      PLATFORM_API_KEY: 'ck_platform_fault_test_0123456789',
      LINK_SIGNING_SECRET: 'fault-test-link-secret-0123456789abcdef',
      SMTP_HOST: setup.smtp.host,
      SMTP_PORT: String(setup.smtp.port),
      DEFAULT_EMAIL_FROM: 'no-reply@clinic.test',
      DEFAULT_SMS_FROM: '+390200000000',
      DEFAULT_VOICE_FROM: '+390200000001',
      TWILIO_ACCOUNT_SID: setup.twilio.accountSid,
      TWILIO_AUTH_TOKEN: setup.twilio.authToken,
      TWILIO_API_BASE_URL: setup.twilio.url,
      ...setup.env,
    },
  });
  if (onExit) child.once('exit', () => onExit(child));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"msg":"worker running"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before polling: ${stderr.slice(-2000)}`)));
  });
  return child;
}

/** SIGKILL, and wait until it is gone. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
