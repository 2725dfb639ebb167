#!/usr/bin/env node
// Installs schemathesis (API fuzzing against /openapi.json, test/fuzz/) from PyPI, pinned, into
// the git-ignored .tools/schemathesis, like the Temporal wheels (scripts/setup-temporal.mjs).
// Run by `npm install` (postinstall) and by .ci/run; does nothing when that version is there.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMATHESIS_VERSION = '4.32.5';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const schemathesisDir = join(root, '.tools', 'schemathesis');

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Returns the `st` script's path, installing the pinned version when needed. */
export function ensureSchemathesis() {
  const st = join(schemathesisDir, 'bin', 'st');
  const installed = join(schemathesisDir, `schemathesis-${SCHEMATHESIS_VERSION}.dist-info`);
  if (existsSync(st) && existsSync(installed)) return st;
  const python = onPath('python3') ?? onPath('python');
  if (!python) throw new Error('Python 3 with pip is needed to install schemathesis (pip install schemathesis==' + SCHEMATHESIS_VERSION + ').');
  console.log(`[setup-schemathesis] installing schemathesis==${SCHEMATHESIS_VERSION} into ${schemathesisDir} (pip) ...`);
  execFileSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', schemathesisDir, `schemathesis==${SCHEMATHESIS_VERSION}`],
    { stdio: 'inherit', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  if (!existsSync(st)) throw new Error(`pip did not install ${st}`);
  return st;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log(`[setup-schemathesis] st: ${ensureSchemathesis()}`);
  } catch (err) {
    console.error(`[setup-schemathesis] ${err.message}`);
    process.exit(1);
  }
}
