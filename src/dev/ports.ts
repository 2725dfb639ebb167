import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Below this no port is handed out (well-known and registered services live there). */
const LOWEST = 10_000;
/** Above 32 767 a port no longer fits Temporal's `cluster_membership.rpc_port` (a smallint). */
const SMALLINT_END = 32_768;

const handedOut = new Set<number>();

/**
 * A free TCP port on `host` for a server that binds it later, often in another process.
 *
 * Taken below the kernel's ephemeral range, not from listen(0): a port from listen(0) is free
 * again between this call and the server's bind, and in that gap any outgoing connection on
 * the host may get it as its local port (seen under parallel tests: the Temporal Web UI failing
 * with "bind: address already in use"). Below the range only another server's bind can take
 * it; a port is never handed out twice by one process.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const high = Math.min(ephemeralLow(), SMALLINT_END);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
    if (handedOut.has(port)) continue;
    handedOut.add(port); // before the probe, so concurrent calls cannot both take it
    if (await portIsFree(port, host)) return port;
  }
  throw new Error(`no free TCP port on ${host} between ${LOWEST} and ${high} after 200 tries`);
}

/** Whether a server could listen on `host:port` now. */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => done(false));
    probe.listen(port, host, () => probe.close(() => done(true)));
  });
}

/** The first port the kernel gives to outgoing connections (Linux: 32768 unless tuned). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + 1_000 ? low : SMALLINT_END;
  } catch {
    return SMALLINT_END;
  }
}
