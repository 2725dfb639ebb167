/**
 * X4 outbound safety: where a URL that a center configures may make the worker connect. Pure:
 * the caller resolves host names and asks about each resolved address; a host it may reach is a
 * `public` one (or `loopback`, where the local stack allows it explicitly).
 */

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'unique_local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

type Range = readonly [network: bigint, prefix: number, cls: AddressClass];

const v4 = (text: string): bigint => {
  const parts = text.split('.').map(Number);
  return parts.reduce((acc, part) => (acc << 8n) | BigInt(part), 0n);
};

/** IPv4 ranges, most specific first (the cloud metadata hosts sit inside wider ones). */
const V4_RANGES: Range[] = [
  [v4('169.254.169.254'), 32, 'metadata'], // AWS, GCP, Azure, OpenStack instance metadata
  [v4('169.254.170.2'), 32, 'metadata'], // AWS ECS task metadata
  [v4('100.100.100.200'), 32, 'metadata'], // Alibaba Cloud
  [v4('168.63.129.16'), 32, 'metadata'], // Azure wire server: a public-looking address
  [v4('192.0.0.192'), 32, 'metadata'], // Oracle Cloud
  [v4('0.0.0.0'), 8, 'unspecified'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'cgnat'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link_local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'reserved'], // IETF protocol assignments
  [v4('192.0.2.0'), 24, 'reserved'], // documentation
  [v4('192.88.99.0'), 24, 'reserved'], // 6to4 relay anycast
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'reserved'], // benchmarking
  [v4('198.51.100.0'), 24, 'reserved'],
  [v4('203.0.113.0'), 24, 'reserved'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved'], // incl. 255.255.255.255
];

function inRange(value: bigint, bits: number, [network, prefix]: Range): boolean {
  const shift = BigInt(bits - prefix);
  return value >> shift === network >> shift;
}

function parseV4(text: string): bigint | null {
  // Dotted-quad only: the URL parser has already turned 2130706433, 0x7f.1 or 0177.0.0.1 into it.
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return null;
  const parts = match.slice(1).map(Number);
  if (parts.some((p) => p > 255) || match.slice(1).some((p) => p.length > 1 && p.startsWith('0'))) return null;
  return v4(text);
}

function parseV6(text: string): bigint | null {
  let body = text.replace(/^\[|\]$/g, '').toLowerCase();
  if (body.includes('%')) body = body.slice(0, body.indexOf('%')); // zone id (fe80::1%eth0)
  if (!/^[0-9a-f:.]+$/.test(body) || !body.includes(':')) return null;
  // An embedded IPv4 tail (::ffff:127.0.0.1) becomes two hextets.
  const tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(body);
  if (tail) {
    const value = parseV4(tail[1]!);
    if (value === null) return null;
    body = `${body.slice(0, -tail[1]!.length)}${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

const v6 = (text: string) => parseV6(text)!;

/** IPv6 ranges; the ones that embed an IPv4 address are handled before these. */
const V6_RANGES: Range[] = [
  [v6('fd00:ec2::254'), 128, 'metadata'], // AWS instance metadata over IPv6
  [v6('::'), 128, 'unspecified'],
  [v6('::1'), 128, 'loopback'],
  [v6('100::'), 64, 'reserved'], // discard prefix
  [v6('64:ff9b:1::'), 48, 'reserved'], // local-use NAT64
  [v6('2001::'), 32, 'reserved'], // Teredo: tunnels to an address it hides
  [v6('2001:db8::'), 32, 'reserved'], // documentation
  [v6('2001:10::'), 28, 'reserved'], // ORCHID
  [v6('fc00::'), 7, 'unique_local'],
  [v6('fe80::'), 10, 'link_local'],
  [v6('fec0::'), 10, 'private'], // deprecated site-local
  [v6('ff00::'), 8, 'multicast'],
  [v6('::'), 96, 'reserved'], // deprecated IPv4-compatible addresses
];

/** Prefixes whose low bits carry an IPv4 address that is where the packets really go. */
const EMBEDDED_V4: { network: bigint; prefix: number; shift: bigint }[] = [
  { network: v6('::ffff:0:0'), prefix: 96, shift: 0n }, // IPv4-mapped
  { network: v6('64:ff9b::'), prefix: 96, shift: 0n }, // NAT64
  { network: v6('2002::'), prefix: 16, shift: 80n }, // 6to4: 2002:AABB:CCDD::/48
];

function classifyV4(value: bigint): AddressClass {
  return V4_RANGES.find((r) => inRange(value, 32, r))?.[2] ?? 'public';
}

/**
 * The class of an IP address literal (IPv4 dotted quad, or IPv6 with or without brackets),
 * or null when `text` is not one (a host name, to be resolved first).
 */
export function classifyAddress(text: string): AddressClass | null {
  const four = parseV4(text);
  if (four !== null) return classifyV4(four);
  const six = parseV6(text);
  if (six === null) return null;
  for (const e of EMBEDDED_V4) {
    if (inRange(six, 128, [e.network, e.prefix, 'public'])) {
      const inner = classifyV4((six >> e.shift) & 0xffffffffn);
      return inner;
    }
  }
  return V6_RANGES.find((r) => inRange(six, 128, r))?.[2] ?? 'public';
}

export interface OutboundPolicy {
  /** Local stack and tests only: plain http and loopback addresses are allowed. */
  allowLoopback: boolean;
}

/** Whether the worker may connect to an address of this class. */
export function mayConnect(cls: AddressClass, policy: OutboundPolicy): boolean {
  return cls === 'public' || (cls === 'loopback' && policy.allowLoopback);
}

/** Longest callback URL kept (the column's length). */
export const CALLBACK_URL_MAX = 255;

const LOOPBACK_NAMES = /^(localhost|.+\.localhost)\.?$/i;

/**
 * What is wrong with a callback URL before any DNS lookup, or null: not https (http only to
 * loopback, or a name, where loopback is allowed), user info in it, too long, or a host that is a non-public address or
 * a `localhost` name. The send checks every resolved address again.
 */
export function callbackUrlProblem(raw: string, policy: OutboundPolicy): string | null {
  if (raw.length > CALLBACK_URL_MAX) return `must be at most ${CALLBACK_URL_MAX} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  const literal = classifyAddress(url.hostname);
  const cls: AddressClass | null = literal ?? (LOOPBACK_NAMES.test(url.hostname) ? 'loopback' : null);
  // Plain http only to loopback where allowed; a name is resolved and checked again at the send.
  if (url.protocol === 'http:' && !(policy.allowLoopback && (cls === 'loopback' || cls === null))) return 'must be an https URL';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (cls !== null && !mayConnect(cls, policy)) return `must not point to a ${cls.replace('_', '-')} address`;
  return null;
}
