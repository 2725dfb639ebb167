import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The running local stack's environment (DATABASE_URL, TEMPORAL_ADDRESS, SMTP, the Twilio test
 * server, the generated keys …) in `.local/stack.env`: `npm run worker` / `npm run api` in another
 * terminal read it and join the stack. Git-ignored, mode 0600 (it holds the local secrets), and
 * removed when the stack stops.
 */
export function stackEnvFile(rootDir: string): string {
  return join(rootDir, '.local', 'stack.env');
}

/** `KEY='value'` lines: readable by readStackEnv and by a shell (`set -a; . .local/stack.env`). */
export function writeStackEnv(file: string, env: Record<string, string>, header: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const lines = Object.entries(env).map(([key, value]) => {
    if (/[\n']/.test(value)) throw new Error(`${key}: a value with a newline or a single quote cannot be written to ${file}`);
    return `${key}='${value}'`;
  });
  writeFileSync(file, `# ${header}\n${lines.join('\n')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The variables of a stack env file; null when there is none (no stack running). */
export function readStackEnv(file: string): Record<string, string> | null {
  if (!existsSync(file)) return null;
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^(\w+)='([^']*)'$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

export function removeStackEnv(file: string): void {
  rmSync(file, { force: true });
}
