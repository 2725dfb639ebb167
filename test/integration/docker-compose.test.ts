import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../../src/config.js';
import { privateLogFlags } from '../../src/db/log-settings.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';

// Docker cannot run on these machines: the deployment file is checked by reading it, and by a
// compose implementation that needs no daemon (Debian's docker-compose, installed by scripts/setup-system.sh).
const root = fileURLToPath(new URL('../../', import.meta.url));
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: unknown; environment?: Record<string, string>; command?: string[]; depends_on?: unknown }>;
};
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
const services = compose.services;
const configKeys = Object.keys(configSchema.shape);
/** Keys the config cannot do without: no default and not optional. */
const requiredKeys = Object.entries(configSchema.shape)
  .filter(([, schema]) => !schema.safeParse(undefined).success)
  .map(([key]) => key);

/** What an operator would export before `docker compose up` (the `${VAR:?}` ones). */
const operatorEnv: Record<string, string> = {
  POSTGRES_PASSWORD: 'a-strong-database-password',
  PLATFORM_API_KEY: 'p'.repeat(32),
  LINK_SIGNING_KEYS: `k1:${'s'.repeat(40)}`,
  MESSAGE_SECRET_KEYS: `m1:${'m'.repeat(40)}`,
  TWILIO_ACCOUNT_SID: `AC${'ab'.repeat(16)}`,
  TWILIO_AUTH_TOKEN: 't'.repeat(32),
  DEFAULT_VOICE_FROM: '+390212345678',
};

/** Compose's own interpolation: `${VAR}`, `${VAR:-default}`, `${VAR:?error}`, `$$`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value
    .replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
      const set = env[name];
      if (set !== undefined && set !== '') return set;
      if (op === '-') return arg ?? '';
      if (op === '?') throw new Error(`${name}: ${arg}`);
      return '';
    })
    .replace(/\$\$/g, '$');
}

describe('deployment: docker-compose.yml', () => {
  it('Privacy: the PostgreSQL server starts with the log settings that keep statements and values out of its log', () => {
    expect(services.postgres?.command).toEqual(['postgres', ...privateLogFlags()]);
  });

  it('deployment: has PostgreSQL, Temporal on PostgreSQL, the Temporal UI, api, worker and a mail catcher', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'temporal', 'temporal-ui', 'api', 'worker', 'mailcatcher']));
    expect(services.postgres?.image).toMatch(/^postgres:\d+/);
    expect(services.temporal?.image).toMatch(/^temporalio\/auto-setup:/);
    expect(services.temporal?.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
    expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(services.mailcatcher?.image).toMatch(/^maildev\//);
  });

  it('deployment: api and worker are built from the Dockerfile on Node 20 and run the compiled entry points with plain node', () => {
    expect(dockerfile).toMatch(/^FROM node:20\b/m);
    for (const name of ['api', 'worker']) expect(services[name]?.build, name).toBe('.');
    expect(services.api?.command).toEqual(['node', 'dist/server.js']);
    expect(services.worker?.command).toEqual(['node', 'dist/worker.js']);
    expect(services.migrate?.command).toEqual(['node', 'dist/db/cli.js', 'up']);
    expect(services.worker?.environment?.WORKER_HEALTH_PORT).toBe('3001');
    // An operator's Prometheus can scrape the worker (the API serves /metrics on its own port).
    expect(services.worker?.environment?.METRICS_PORT).toBe('9464');
  });

  it('deployment: the image is multi-stage, ships production dependencies and dist/ only, runs as a non-root user with a health check', () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    const [build, runtime] = stages as [string, string];
    expect(build).toMatch(/^RUN npm run build$/m);
    expect(runtime).toMatch(/^RUN npm ci --omit=dev\b/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(runtime).not.toMatch(/^COPY (src|scripts)\b/m);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*CMD \["node", "dist\/healthcheck\.js"\]$/m);
    expect(runtime).toMatch(/^ENV WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js$/m);
    expect(dockerfile.split('\n').filter((line) => !line.startsWith('#')).join('\n')).not.toContain('tsx');
  });

  it('deployment: docker-compose validates the file (config -q), refuses it without the secrets, and interpolates a valid config for the worker', () => {
    const run = (args: string[], env: Record<string, string>) =>
      spawnSync('docker-compose', ['-f', `${root}docker-compose.yml`, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
    const version = run(['version', '--short'], {});
    expect(version.error, 'docker-compose is not installed: run scripts/setup-system.sh (as root), as .ci/run does').toBeUndefined();
    const valid = run(['config', '-q'], operatorEnv);
    expect(valid.stderr).toBe('');
    expect(valid.status).toBe(0);
    const missing = run(['config', '-q'], { ...operatorEnv, POSTGRES_PASSWORD: '' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('set POSTGRES_PASSWORD');
    // Compose's own interpolation and merge of the worker's environment.
    const resolved = parse(run(['config'], operatorEnv).stdout) as { services: Record<string, { environment: Record<string, string> }> };
    const config = loadConfig(resolved.services.worker!.environment);
    expect(config).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', WORKER_HEALTH_PORT: 3001, PLATFORM_API_KEY: operatorEnv.PLATFORM_API_KEY });
  });

  it('Security: every env key of api and worker is a config key, every required key is provided, secrets have no defaults', () => {
    for (const name of ['api', 'worker']) {
      const env = services[name]?.environment ?? {};
      const keys = Object.keys(env);
      expect(keys.filter((key) => !configKeys.includes(key)), `${name}: unknown config keys`).toEqual([]);
      expect(requiredKeys.filter((key) => !keys.includes(key)), `${name}: missing required keys`).toEqual([]);
      for (const secret of ['PLATFORM_API_KEY', 'LINK_SIGNING_KEYS', 'MESSAGE_SECRET_KEYS', 'TWILIO_AUTH_TOKEN']) {
        expect(env[secret], `${name}: ${secret} must be required, not defaulted`).toMatch(/^\$\{\w+:\?[^}]*\}$/);
      }
    }
  });

  it('deployment: with the operator secrets set, the interpolated env of api and worker is a valid config pointing at the compose services', () => {
    for (const name of ['api', 'worker']) {
      const raw = services[name]?.environment ?? {};
      const env = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, interpolate(String(value), operatorEnv)]));
      const config = loadConfig(env);
      expect(new URL(config.DATABASE_URL).hostname).toBe('postgres');
      expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(config.SMTP_HOST).toBe('mailcatcher');
      expect(config.NODE_ENV).toBe('production');
    }
    // Without them, compose refuses to start instead of running with made-up secrets.
    const raw = services.api?.environment ?? {};
    expect(() => Object.values(raw).forEach((value) => interpolate(String(value), {}))).toThrow(/set /);
  });

  it('X6-search: the one-shot Temporal setup registers exactly the search attributes the workflows set', () => {
    const script = services['temporal-search-attributes']?.command?.join(' ') ?? '';
    const registered: Record<string, string> = {};
    for (const [, type, names] of script.matchAll(/search-attribute create --type (\w+)((?:\s+--name \w+)+)/g)) {
      for (const [, attribute] of (names ?? '').matchAll(/--name (\w+)/g)) registered[attribute!] = type!.toUpperCase();
    }
    expect(registered).toEqual(Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, key.type])));
  });
});
