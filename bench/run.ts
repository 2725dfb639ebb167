/**
 * `npm run bench`: every benchmark in sequence at its default size, each in its own process
 * (its own stack), so one failing does not stop the others. Results land in bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { benchDir } from './support.js';

// burst-compare runs the four sides of the reminder burst (below) itself; each can also run alone.
const BENCHMARKS = ['alert-fanout', 'ingestion', 'settings-fanout', 'sms-rate', 'burst-compare', 'memory-sleeping'];
const BURST_SIDES = ['reminder-burst', 'temporal-floor', 'baseline-pgboss', 'plain-pgboss'];
const only = process.argv.slice(2);
const failed: string[] = [];
for (const name of only.length ? only : BENCHMARKS) {
  if (![...BENCHMARKS, ...BURST_SIDES].includes(name)) throw new Error(`unknown benchmark ${name}; one of ${[...BENCHMARKS, ...BURST_SIDES].join(', ')}`);
  console.log(`\n=== ${name} ===`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`)], { stdio: 'inherit' });
  if (run.status !== 0) failed.push(name);
}
console.log(failed.length ? `\nfailed: ${failed.join(', ')}` : '\nall benchmarks ran; results in bench/results/');
process.exitCode = failed.length ? 1 : 0;
