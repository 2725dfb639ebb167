import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TWILIO_SID, TWILIO_TOKEN } from '../engine.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  /** SIGKILL, resolved once it is gone. */
  kill(): Promise<void>;
}

/**
 * A production entry point (`src/worker.ts`, `src/server.ts`) as `npm run worker` / `npm run api`
 * runs it, in its own process; resolves once its log shows `readyMessage`.
 */
export async function startServiceProcess(entry: 'src/worker.ts' | 'src/server.ts', env: Record<string, string>, readyMessage: string, timeoutMs = 120_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${entry} not ready in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-8000);
      if (out.includes(`"msg":"${readyMessage}"`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited (${code}) before it was ready: ${stderr}`));
    });
  });
  return {
    child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The providers' part of a worker's or API's environment: the test SMTP server and Twilio test server. */
export function providerEnv(smtp: { host: string; port: number }, twilio: { url: string }): Record<string, string> {
  return {
    SMTP_HOST: smtp.host,
    SMTP_PORT: String(smtp.port),
    DEFAULT_EMAIL_FROM: 'no-reply@clinic.test',
    DEFAULT_SMS_FROM: '+390200000000',
    DEFAULT_VOICE_FROM: '+390200000001',
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_API_BASE_URL: twilio.url,
  };
}

/** Polls `probe` every 100 ms until it holds (true) or `timeoutMs` passed (false). */
export async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
