import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { callbackUrlProblem, classifyAddress, mayConnect, type OutboundPolicy } from '../domain/outbound-address.js';

/**
 * X4: a POST to a URL that a center configured (its booking system's callback). A center admin
 * chooses that URL, so the worker must not become their way into loopback, the private network
 * or a cloud metadata service: the host is resolved here, every address it resolves to is
 * checked, and the connection goes to those checked addresses (a second DNS answer, a rebinding,
 * cannot swap them). Redirects are not followed, the whole exchange has a deadline and at most
 * `maxResponseBytes` of the answer are read.
 */

export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

/** The destination is not one the worker may reach; no connection was made. */
export class OutboundRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

export interface SafePostOptions {
  policy: OutboundPolicy;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** DNS; the system resolver unless given. */
  resolve?: Resolve;
}

export type SafePost = (url: string, init: { headers: Record<string, string>; body: string }, options: SafePostOptions) => Promise<{ status: number }>;

const systemResolve: Resolve = (host) => lookup(host, { all: true, verbatim: true });

/** The addresses the request may connect to, all checked; throws OutboundRefused otherwise. */
export async function checkedAddresses(url: URL, policy: OutboundPolicy, resolve: Resolve = systemResolve): Promise<{ address: string; family: number }[]> {
  const problem = callbackUrlProblem(url.href, policy);
  if (problem) throw new OutboundRefused(`callback URL ${problem}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = classifyAddress(host);
  let addresses: { address: string; family: number }[];
  if (literal !== null) addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new OutboundRefused('callback host does not resolve');
    }
  }
  if (addresses.length === 0) throw new OutboundRefused('callback host does not resolve');
  // Every answer must be reachable: a name with one public and one private address is refused.
  for (const { address } of addresses) {
    const cls = classifyAddress(address) ?? 'reserved';
    if (!mayConnect(cls, policy)) throw new OutboundRefused(`callback host resolves to a ${cls.replace('_', '-')} address`);
    if (url.protocol === 'http:' && cls !== 'loopback') throw new OutboundRefused('callback URL must be an https URL');
  }
  return addresses;
}

export const safePost: SafePost = async (raw, init, options) => {
  const url = new URL(raw);
  const addresses = await checkedAddresses(url, options.policy, options.resolve);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 64 * 1024;
  // Connect to what was checked, whatever a later lookup would say; TLS still verifies the name.
  const pinned: LookupFunction = (_host, opts, callback) => {
    if (opts.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
      lookup: pinned,
      agent: false,
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
    const finish = (result: { status: number } | Error) => {
      clearTimeout(timer);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    req.on('error', finish);
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        // Nothing in the answer is needed beyond its status: stop reading a large one.
        if (read > maxBytes) {
          res.destroy();
          req.destroy();
          finish({ status });
        }
      });
      res.on('end', () => finish({ status }));
      res.on('error', finish);
    });
    req.end(init.body);
  });
};
