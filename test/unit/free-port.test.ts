import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, portIsFree } from '../../src/dev/ports.js';

const listening: Server[] = [];
afterEach(async () => {
  await Promise.all(listening.splice(0).map((s) => new Promise((done) => s.close(done))));
});

function listen(port: number): Promise<void> {
  const server = createServer();
  listening.push(server);
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done());
  });
}

describe('freePort: ports for servers that bind later', () => {
  it('hands out distinct ports below the kernel ephemeral range that a server can then bind', async () => {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    expect(new Set(ports).size).toBe(50);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(Math.min(ephemeralLow, 32_768));
    }
    for (const port of ports) await listen(port);
  });

  it('portIsFree tells a bound port from a free one', async () => {
    const port = await freePort();
    expect(await portIsFree(port)).toBe(true);
    await listen(port);
    expect(await portIsFree(port)).toBe(false);
  });
});
