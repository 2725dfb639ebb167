import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, PLATFORM_KEY, type ApiHarness } from '../support/api.js';

const root = join(import.meta.dirname, '..', '..');
const toolsDir = join(root, '.tools', 'schemathesis');
const st = join(toolsDir, 'bin', 'st');

/**
 * The budget: at most this many generated cases per operation in each phase (examples,
 * coverage, fuzzing, stateful), one worker, a fixed seed. Both runs together take about a minute
 * and a half on 2 idle cores (see README, "Input limits, idempotency and abuse protection").
 */
const MAX_EXAMPLES = '10';

/** Failure codes that must never appear: server errors, answers that break the document, undocumented statuses or media types. */
const FORBIDDEN = {
  ST101: 'server error',
  ST102: 'server error (content type)',
  ST103: 'undocumented status code',
  ST104: 'missing content type',
  ST105: 'undocumented content type',
  ST106: 'malformed media type',
  ST108: 'response violates the schema',
  ST109: 'malformed JSON',
  ST110: 'content not deserializable',
} as const;

interface Run {
  code: number;
  output: string;
  generated: number;
  failures: Record<string, number>;
  errors: Record<string, number>;
}

/** Runs `st run` and reads its summary: cases generated, failures by code, errors by kind. */
function schemathesis(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'python3',
      [st, '--config-file', join(import.meta.dirname, 'schemathesis.toml'), 'run', ...args],
      { env: { ...process.env, PYTHONPATH: toolsDir, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        const summary = output.slice(output.lastIndexOf('SUMMARY'));
        const failures: Record<string, number> = {};
        for (const m of summary.matchAll(/(ST\d{3}) [^:\n]+: (\d+)/g)) failures[m[1]!] = Number(m[2]);
        const errors: Record<string, number> = {};
        const errorBlock = /Errors:\n((?: +\S.*\n)+)/.exec(summary)?.[1] ?? '';
        for (const m of errorBlock.matchAll(/^ +\S+ ([^:\n]+): (\d+)$/gm)) errors[m[1]!] = Number(m[2]);
        const generated = Number(/(\d+) generated/.exec(summary)?.[1] ?? 0);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output, generated, failures, errors });
      },
    );
  });
}

describe('X5 security: schemathesis against the API on real PostgreSQL, with valid keys', () => {
  let h: ApiHarness;
  let server: ServerType;
  let base: string;
  let adminKey: string;
  beforeAll(async () => {
    expect(existsSync(st), 'schemathesis is missing: `node scripts/setup-schemathesis.mjs` (npm install runs it) puts it in .tools/schemathesis').toBe(true);
    // The failed-key throttle would answer the fuzzer's bad-key probes with 429; it has its own test.
    h = await apiHarness({ authThrottle: { maxFailures: 1_000_000, windowMs: 60_000, maxAddresses: 10 } });
    adminKey = (await h.newCenter('Fuzz Center')).adminKey;
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await h?.close();
  });

  const common = () => [
    `${base}/openapi.json`,
    '--url', base,
    '--checks', 'all',
    '--max-examples', MAX_EXAMPLES,
    '--seed', '1',
    '--workers', '1',
    '--no-color',
    '--generation-database', 'none',
  ];
  const platformPaths = '^/v1/(centers|credits/top-ups)';

  const check = (name: string, run: Run) => {
    const figures = `${name}: ${run.generated} cases; failures ${JSON.stringify(run.failures)}; errors ${JSON.stringify(run.errors)}`;
    console.log(figures);
    expect(run.generated, run.output).toBeGreaterThan(0);
    const forbidden = Object.keys(run.failures).filter((code) => code in FORBIDDEN);
    expect(forbidden, `${figures}\n${run.output}`).toEqual([]);
    // An error other than a crash inside schemathesis itself (e.g. the API refusing connections) fails the run too.
    expect(Object.keys(run.errors).filter((kind) => kind !== 'Runtime Error'), `${figures}\n${run.output}`).toEqual([]);
  };

  it('platform operations (platform key): no server error, every answer as documented', async () => {
    check('platform', await schemathesis([...common(), '--header', `Authorization: Bearer ${PLATFORM_KEY}`, '--include-path-regex', platformPaths]));
  }, 600_000);

  it('center operations (admin key, all the others): no server error, every answer as documented', async () => {
    check('center', await schemathesis([...common(), '--header', `Authorization: Bearer ${adminKey}`, '--exclude-path-regex', platformPaths]));
  }, 600_000);
});
