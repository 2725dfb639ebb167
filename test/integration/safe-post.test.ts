import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundRefused, safePost, type Resolve } from '../../src/channels/safe-post.js';
import { startHookServer, type HookServer } from '../support/hook-server.js';

const body = { headers: { 'content-type': 'application/json' }, body: '{"id":"e1"}' };
const local = { allowLoopback: true };
const strict = { allowLoopback: false };

/** A DNS answer for names of the test (the system resolver knows none of them). */
const dns = (answers: Record<string, string[]>): Resolve => async (host) => (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('X4 safePost: the worker’s POST to a center’s callback URL', () => {
  let hooks: HookServer;
  beforeAll(async () => {
    hooks = await startHookServer();
  });
  afterAll(() => hooks?.stop());

  it('posts to an allowed destination and answers its status', async () => {
    expect(await safePost(`${hooks.url}/hook`, body, { policy: local })).toEqual({ status: 204 });
    expect(hooks.received.at(-1)).toMatchObject({ path: '/hook', body: '{"id":"e1"}' });
  });

  it('refuses loopback without the local allowance, before connecting', async () => {
    const before = hooks.received.length;
    await expect(safePost(`${hooks.url}/hook`, body, { policy: strict })).rejects.toBeInstanceOf(OutboundRefused);
    await expect(safePost(`https://127.0.0.1:${hooks.port}/hook`, body, { policy: strict })).rejects.toThrow(/loopback/);
    await expect(safePost(`https://2130706433:${hooks.port}/hook`, body, { policy: strict })).rejects.toThrow(/loopback/);
    await expect(safePost(`https://[::ffff:127.0.0.1]:${hooks.port}/hook`, body, { policy: strict })).rejects.toThrow(/loopback/);
    expect(hooks.received.length).toBe(before);
  });

  it('checks every address a name resolves to: one private answer is enough to refuse', async () => {
    const resolve = dns({ 'hooks.example.test': ['93.184.216.34', '10.0.0.7'], 'meta.example.test': ['169.254.169.254'], 'v6.example.test': ['fd00::1'] });
    await expect(safePost('https://hooks.example.test/x', body, { policy: local, resolve })).rejects.toThrow(/private/);
    await expect(safePost('https://meta.example.test/x', body, { policy: local, resolve })).rejects.toThrow(/metadata/);
    await expect(safePost('https://v6.example.test/x', body, { policy: local, resolve })).rejects.toThrow(/unique-local/);
    await expect(safePost('https://nowhere.example.test/x', body, { policy: local, resolve })).rejects.toThrow(/does not resolve/);
    // Plain http, even where loopback is allowed, only to loopback.
    const publicName = dns({ 'public.example.test': ['93.184.216.34'] });
    await expect(safePost('http://public.example.test/x', body, { policy: local, resolve: publicName })).rejects.toThrow(/https/);
  });

  it('a name resolving to loopback is refused after DNS without the allowance', async () => {
    const before = hooks.received.length;
    const resolve = dns({ 'rebind.example.test': ['127.0.0.1'] });
    await expect(safePost(`https://rebind.example.test:${hooks.port}/hook`, body, { policy: strict, resolve })).rejects.toThrow(/resolves to a loopback/);
    expect(hooks.received.length).toBe(before);
  });

  it('connects to the checked address itself (no second lookup a rebinding could change), with the name as Host', async () => {
    let lookups = 0;
    const resolve: Resolve = async () => {
      lookups += 1;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    expect(await safePost(`http://hooks.example.test:${hooks.port}/pinned`, body, { policy: local, resolve })).toEqual({ status: 204 });
    expect(lookups).toBe(1);
    expect(hooks.received.at(-1)).toMatchObject({ path: '/pinned', host: `hooks.example.test:${hooks.port}` });
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    expect(await safePost(`${hooks.url}/redirect`, body, { policy: local })).toEqual({ status: 302 });
    expect(hooks.paths()).not.toContain('/target');
  });

  it('gives up on a destination that does not answer in time', async () => {
    await expect(safePost(`${hooks.url}/silent`, body, { policy: local, timeoutMs: 300 })).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('stops reading an endless answer at the size cap and keeps its status', async () => {
    expect(await safePost(`${hooks.url}/huge`, body, { policy: local, maxResponseBytes: 100_000, timeoutMs: 30_000 })).toEqual({ status: 200 });
  });
});
