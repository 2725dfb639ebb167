/**
 * Pre-builds the workflow bundle into dist/workflow-bundle.js so production workers start without
 * webpack (src/worker.ts loads it when present). The Dockerfile runs it at image build time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { prebuiltBundlePath, workflowsPath } from '../src/worker.js';

const { code } = await bundleWorkflowCode({ workflowsPath });
mkdirSync(dirname(prebuiltBundlePath), { recursive: true });
writeFileSync(prebuiltBundlePath, code);
console.log(`workflow bundle: ${prebuiltBundlePath} (${(code.length / 1024 / 1024).toFixed(2)} MiB)`);
