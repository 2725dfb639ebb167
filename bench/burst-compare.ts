/**
 * The reminder burst of #13 in one invocation: the project (reminder-burst), the bare Temporal
 * floor (temporal-floor), the same-work pg-boss baseline (baseline-pgboss) and the plain pg-boss
 * pipeline (plain-pgboss), one after the other at the same BURST_M, each on its own fresh stack,
 * BURST_RUNS rounds. Prints p50/p99 lateness, missing / sent twice / debited twice, and the
 * ratios project ÷ floor and project ÷ pg-boss per round (the machine is shared: compare within
 * a round), then their medians. Saves bench/results/burst-compare-m<M>.json.
 *
 * BURST_PROJECT_SETUP_SECONDS: the project's time from start to D (booking and planning every
 * appointment must fit; on a loaded machine planning runs at a few per second). A side whose
 * setup ran past D is flagged: its lateness then measures the planning, not the burst.
 *
 *   npx tsx bench/burst-compare.ts        BURST_M=1000 BURST_RUNS=3 BURST_SIDES=reminder-burst,temporal-floor,… BURST_PROJECT_SETUP_SECONDS=…
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { benchDir, createLog, envInt, runContext } from './support.js';

const NAME = 'burst-compare';
const log = createLog(NAME);
const ALL_SIDES = ['reminder-burst', 'temporal-floor', 'baseline-pgboss', 'plain-pgboss'] as const;
const m = envInt('BURST_M', 1000);
const runs = envInt('BURST_RUNS', 1);
const sides = (process.env.BURST_SIDES ?? ALL_SIDES.join(',')).split(',').filter(Boolean);
for (const side of sides) if (!(ALL_SIDES as readonly string[]).includes(side)) throw new Error(`BURST_SIDES: unknown ${side}; one of ${ALL_SIDES.join(', ')}`);

interface SideResult {
  p50: number | null;
  p99: number | null;
  missing: number;
  sentTwice: number;
  debitedTwice: number | null;
  cpu: Record<string, number>;
  setupOverran: boolean;
  load: { atStart: number; atEnd: number };
}

const setupOf = (side: string) =>
  side === 'reminder-burst' && process.env.BURST_PROJECT_SETUP_SECONDS ? { BURST_SETUP_SECONDS: process.env.BURST_PROJECT_SETUP_SECONDS } : {};

/** Runs one benchmark as a child process, echoing its progress; its last stdout line is its result. */
function runSide(side: string): Promise<SideResult | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, `${side}.ts`)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BURST_M: String(m), ...setupOf(side) } });
    let last = '';
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        if (line.startsWith('{')) last = line;
        else console.log(`  ${line}`);
      }
    });
    child.once('exit', () => {
      if (buffer.startsWith('{')) last = buffer;
      try {
        const record = JSON.parse(last) as { results: Record<string, unknown>; loadAverage1m: { atStart: number; atEnd: number } };
        const r = record.results as { latenessMs: { p50: number | null; p99: number | null }; missing: number; sentTwice: number; debitedTwice?: number; cpuDuringBurst: Record<string, number>; setupOverran?: boolean };
        resolve({ p50: r.latenessMs.p50, p99: r.latenessMs.p99, missing: r.missing, sentTwice: r.sentTwice, debitedTwice: r.debitedTwice ?? null, cpu: r.cpuDuringBurst, setupOverran: r.setupOverran ?? false, load: record.loadAverage1m });
      } catch {
        log(`${side}: no result (see its output above)`);
        resolve(null);
      }
    });
  });
}

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? Number((a / b).toFixed(2)) : null);
const median = (values: (number | null)[]) => {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  return v.length ? v[Math.floor((v.length - 1) / 2)]! : null;
};
const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

const rounds: { sides: Record<string, SideResult | null>; ratios: Record<string, number | null> }[] = [];
for (let round = 1; round <= runs; round++) {
  const results: Record<string, SideResult | null> = {};
  for (const side of sides) {
    log(`round ${round}/${runs}: ${side} at M = ${m} (load ${os.loadavg()[0]!.toFixed(2)})`);
    results[side] = await runSide(side);
  }
  const project = results['reminder-burst']?.p99;
  const ratios = {
    projectOverFloorP99: ratio(project, results['temporal-floor']?.p99),
    projectOverPgBossP99: ratio(project, results['baseline-pgboss']?.p99),
    projectOverPlainPgBossP99: ratio(project, results['plain-pgboss']?.p99),
  };
  rounds.push({ sides: results, ratios });
  log(`round ${round}/${runs} done, M = ${m}:`);
  for (const [side, r] of Object.entries(results)) {
    if (!r) continue;
    console.log(
      `  ${side.padEnd(16)} p50 ${s(r.p50).padStart(8)}  p99 ${s(r.p99).padStart(8)}  missing ${r.missing}  sent twice ${r.sentTwice}  debited twice ${r.debitedTwice ?? '—'}  load ${r.load.atStart}→${r.load.atEnd}  CPU% ${JSON.stringify(r.cpu)}${r.setupOverran ? '  SETUP RAN PAST D: not comparable' : ''}`,
    );
  }
  console.log(`  ratios (p99): project/floor ${ratios.projectOverFloorP99 ?? '—'}, project/pg-boss ${ratios.projectOverPgBossP99 ?? '—'}, project/plain pg-boss ${ratios.projectOverPlainPgBossP99 ?? '—'}`);
}

const summary = Object.fromEntries(
  sides.map((side) => {
    const all = rounds.map((r) => r.sides[side]);
    const p99s = all.map((r) => r?.p99 ?? null);
    return [side, { p50MedianMs: median(all.map((r) => r?.p50 ?? null)), p99MedianMs: median(p99s), p99AllMs: p99s, missing: all.map((r) => r?.missing ?? null), sentTwice: all.map((r) => r?.sentTwice ?? null), debitedTwice: all.map((r) => r?.debitedTwice ?? null) }];
  }),
);
const ratioKeys = ['projectOverFloorP99', 'projectOverPgBossP99', 'projectOverPlainPgBossP99'] as const;
const ratios = Object.fromEntries(ratioKeys.map((k) => [k, { median: median(rounds.map((r) => r.ratios[k] ?? null)), all: rounds.map((r) => r.ratios[k] ?? null) }]));
log(`M = ${m}, ${runs} round(s): medians ${JSON.stringify(ratios)}`);
const record = { benchmark: NAME, ...runContext(), params: { m, runs, sides }, summary, ratios, rounds };
mkdirSync(join(benchDir, 'results'), { recursive: true });
writeFileSync(join(benchDir, 'results', `${NAME}-m${m}.json`), `${JSON.stringify(record, null, 2)}\n`);
console.log(JSON.stringify(record));
