import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HookRequest {
  path: string;
  host: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A booking system's webhook receiver on 127.0.0.1 (X4): records what reaches it and answers
 * per path — `/redirect` with a 302 to `/target`, `/silent` never, `/huge` with an endless body,
 * anything else with 204.
 */
export async function startHookServer() {
  const received: HookRequest[] = [];
  const held = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, host: req.headers.host, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (path === '/redirect') res.writeHead(302, { location: `http://127.0.0.1:${port}/target` }).end();
      else if (path === '/silent') held.add(res);
      else if (path === '/huge') {
        held.add(res);
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = 'x'.repeat(16 * 1024);
        const pump = () => {
          if (res.destroyed) return;
          if (res.write(chunk)) setImmediate(pump);
          else res.once('drain', pump);
        };
        pump();
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    received,
    paths: () => received.map((r) => r.path),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type HookServer = Awaited<ReturnType<typeof startHookServer>>;
