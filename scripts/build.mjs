/**
 * `npm run build`: the production JavaScript the Dockerfile ships, with no tsx at run time:
 * tsc (tsconfig.build.json) compiles src/ to dist/, the non-TypeScript files next to the sources
 * (the payload failure converter, .cjs) are copied, and the workflow bundle is built from the
 * compiled workflows into dist/workflow-bundle.js (WORKFLOW_BUNDLE_PATH), so workers start without webpack.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--into DIR` writes DIR/dist instead (the production-build test builds into a temp folder).
const into = process.argv.includes('--into') ? process.argv[process.argv.indexOf('--into') + 1] : undefined;
const dist = join(into ?? root, 'dist');
rmSync(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', dist], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
  if (entry.isFile() && entry.name.endsWith('.cjs')) {
    const from = join(entry.parentPath, entry.name);
    cpSync(from, join(dist, relative(join(root, 'src'), from)));
  }
}

const { bundleWorkflowCode } = await import('@temporalio/worker');
// The paths of src/worker.ts (workflowsPath, prebuiltBundlePath) as seen from dist/; not imported
// from dist/worker.js, which needs node_modules next to it (absent in a temp build folder).
const workflowsPath = join(dist, 'workflows', 'index.js');
const prebuiltBundlePath = join(dist, 'workflow-bundle.js');
const { code } = await bundleWorkflowCode({ workflowsPath });
writeFileSync(prebuiltBundlePath, code);
console.log(`${dist}: compiled; workflow bundle ${prebuiltBundlePath} (${(code.length / 1024 / 1024).toFixed(2)} MiB, from ${dirname(workflowsPath)})`);
