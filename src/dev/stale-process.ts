import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Stops a server left behind by a killed run (its pid file outlived it), so the next start does
 * not trip over its ports or lock file. Only a process whose command line contains every one of
 * `mustContain` is touched, never an unrelated process that reused the pid.
 */
export async function stopStaleProcess(pid: number, mustContain: string[]): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  let commandLine: string;
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return false; // no such process (or no /proc): nothing to stop
  }
  if (!mustContain.every((part) => commandLine.includes(part))) return false;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 80; i++) {
    await sleep(250);
    if (!isAlive(pid)) return true;
  }
  process.kill(pid, 'SIGKILL');
  return true;
}

/** The pid on the first line of a pid file (Temporal's server.pid, PostgreSQL's postmaster.pid). */
export function readPidFile(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null; // no pid file: nothing was left behind
  }
  const pid = Number(text.split('\n')[0]?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: gone
  }
}
