#!/usr/bin/env node
// Builds a real Temporal server (go.temporal.io/server, pinned), its SQL schema tool and
// Temporal's Web UI server from Go sources, once per machine, into a cache outside the clone
// (later clones and CI runs reuse it). Needs Go (the module proxy supplies the sources).
//
//   node scripts/setup-temporal-cluster.mjs              build what is missing, print the paths
//   node scripts/setup-temporal-cluster.mjs --optional   no Go on this machine: warn, exit 0
//
// Cache: $TEMPORAL_CLUSTER_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/clinic-comms.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** v1.32.1: the newest release whose go.mod asks for no newer Go than 1.26.8 (v1.32.2 wants 1.26.10). */
export const TEMPORAL_SERVER_VERSION = '1.32.1';
/** v2.55.0: the newest UI server whose go.mod fits Go 1.26.8; its module embeds the built UI assets. */
export const TEMPORAL_UI_VERSION = '2.55.0';

const cacheRoot = () => process.env.TEMPORAL_CLUSTER_CACHE ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'clinic-comms');

/** Where the binaries of the pinned versions live (present or not). */
export function clusterBinaryPaths() {
  const serverDir = join(cacheRoot(), `temporal-${TEMPORAL_SERVER_VERSION}`);
  const uiDir = join(cacheRoot(), `temporal-ui-${TEMPORAL_UI_VERSION}`);
  return {
    version: TEMPORAL_SERVER_VERSION,
    uiVersion: TEMPORAL_UI_VERSION,
    dir: serverDir,
    server: join(serverDir, 'temporal-server'),
    sqlTool: join(serverDir, 'temporal-sql-tool'),
    /** schema/postgresql/v12/{temporal,visibility}/versioned, copied from the module. */
    schemaDir: join(serverDir, 'schema', 'postgresql', 'v12'),
    ui: join(uiDir, 'temporal-ui-server'),
  };
}

/**
 * The paths when the server, the schema tool and the schema files are there, else null with what
 * is missing. The Web UI is optional: `ui` is null when it is not built.
 */
export function findClusterBinaries() {
  const paths = clusterBinaryPaths();
  const missing = [paths.server, paths.sqlTool, paths.schemaDir].filter((p) => !existsSync(p));
  return missing.length ? { paths: null, missing } : { paths: { ...paths, ui: existsSync(paths.ui) ? paths.ui : null }, missing };
}

const started = Date.now();
const say = (message) => console.log(`[setup-temporal-cluster ${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s] ${message}`);

function goBinary() {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return 'go';
  } catch {
    return null;
  }
}

/**
 * `go install pkg@version` into a fresh staging folder (niced: the machine is shared), printing
 * progress every 200 compiled packages, then moved into place so a half build is never used.
 */
async function goInstall(packages, outDir, names) {
  const staging = `${outDir}.build-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const env = { ...process.env, GOBIN: staging, CGO_ENABLED: '0' };
  const child = spawn('nice', ['-n', '10', 'go', 'install', '-v', '-trimpath', ...packages], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let compiled = 0;
  let downloads = 0;
  const tail = [];
  child.stderr.setEncoding('utf8');
  let partial = '';
  child.stderr.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      if (line.startsWith('go: downloading')) {
        if (++downloads % 50 === 0) say(`  downloaded ${downloads} modules`);
      } else if (++compiled % 200 === 0) say(`  compiled ${compiled} packages`);
    }
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`go install ${packages.join(' ')} failed (exit ${code}):\n${tail.join('\n')}`);
  }
  say(`  done: ${compiled} packages compiled, ${downloads} modules downloaded`);
  for (const [built, wanted] of Object.entries(names)) renameSync(join(staging, built), join(staging, wanted));
  mkdirSync(join(outDir, '..'), { recursive: true });
  if (existsSync(outDir)) rmSync(outDir, { recursive: true, force: true });
  renameSync(staging, outDir);
}

/** The module's folder in the Go module cache (downloaded if needed). */
function moduleDir(module, version) {
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `${module}@v${version}`], { encoding: 'utf8' }));
  if (!info.Dir) throw new Error(`go mod download ${module}@v${version}: ${info.Error ?? 'no folder'}`);
  return info.Dir;
}

function makeWritable(dir) {
  execFileSync('chmod', ['-R', 'u+w', dir]); // the module cache is read-only; copies stay removable
}

export async function setupTemporalCluster() {
  const paths = clusterBinaryPaths();
  if (findClusterBinaries().paths?.ui) {
    say(`cached: Temporal server v${paths.version} and UI server v${paths.uiVersion} in ${cacheRoot()} (nothing to build)`);
    return paths;
  }
  if (!existsSync(paths.server) || !existsSync(paths.sqlTool) || !existsSync(paths.schemaDir)) {
    say(`building go.temporal.io/server v${paths.version} (cmd/server, cmd/tools/sql) into ${paths.dir} — first time on this machine, several minutes`);
    const module = 'go.temporal.io/server';
    await goInstall([`${module}/cmd/server@v${paths.version}`, `${module}/cmd/tools/sql@v${paths.version}`], paths.dir, { server: 'temporal-server', sql: 'temporal-sql-tool' });
    const schemaFrom = join(moduleDir(module, paths.version), 'schema', 'postgresql', 'v12');
    cpSync(schemaFrom, paths.schemaDir, { recursive: true });
    makeWritable(paths.schemaDir);
    say(`schema files copied from ${schemaFrom}`);
  }
  if (!existsSync(paths.ui)) {
    say(`building github.com/temporalio/ui-server/v2 v${paths.uiVersion} (Web UI, assets embedded)`);
    try {
      await goInstall([`github.com/temporalio/ui-server/v2/cmd/server@v${paths.uiVersion}`], join(paths.ui, '..'), { server: 'temporal-ui-server' });
    } catch (err) {
      // The cluster works without it (workflows through the CLI): say so, do not fail.
      say(`WARNING: the Web UI server did not build; the cluster runs without a UI. ${err.message}`);
    }
  }
  chmodSync(paths.server, 0o755);
  say(`ready: ${paths.server}`);
  return paths;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const optional = process.argv.includes('--optional');
  if (!goBinary()) {
    const message = 'Go is not installed: the Temporal cluster (npm run stack:cluster, test/cluster) needs Go >= 1.26 to build the server once.';
    if (optional) {
      console.warn(`[setup-temporal-cluster] WARNING: ${message} Skipping; the cluster tests will say they are skipped.`);
      process.exit(0);
    }
    console.error(`[setup-temporal-cluster] ${message}`);
    process.exit(1);
  }
  try {
    const paths = await setupTemporalCluster();
    console.log(`[setup-temporal-cluster] temporal-server:    ${paths.server}`);
    console.log(`[setup-temporal-cluster] temporal-sql-tool:  ${paths.sqlTool}`);
    console.log(`[setup-temporal-cluster] temporal-ui-server: ${existsSync(paths.ui) ? paths.ui : '(not built: no Web UI; use the CLI)'}`);
  } catch (err) {
    console.error(`[setup-temporal-cluster] ${err.message}`);
    process.exit(1);
  }
}
