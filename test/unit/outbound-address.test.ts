import { describe, expect, it } from 'vitest';
import { callbackUrlProblem, classifyAddress, mayConnect, type AddressClass } from '../../src/domain/outbound-address.js';

describe('X4 classifyAddress: where a callback may connect', () => {
  const cases: [string, AddressClass | null][] = [
    // IPv4
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['192.168.1.10', 'private'],
    ['192.169.0.1', 'public'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.0', 'public'],
    ['169.254.1.1', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['192.0.0.192', 'metadata'],
    ['192.0.2.5', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    // not dotted quads: a host name to resolve, never guessed as an address
    ['0177.0.0.1', null],
    ['2130706433', null],
    ['256.1.1.1', null],
    ['1.2.3', null],
    ['example.com', null],
    ['localhost', null],
    // IPv6
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'private'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378::1', 'reserved'],
    ['100::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4002:402::200e', 'public'],
    // IPv6 forms that carry an IPv4 address: its class wins
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::c0a8:101', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['2002:808:808::1', 'public'],
    ['::127.0.0.1', 'reserved'],
    // malformed
    ['1::2::3', null],
    ['12345::1', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['::ffff:300.0.0.1', null],
  ];
  it.each(cases)('%s → %s', (text, expected) => {
    expect(classifyAddress(text)).toBe(expected);
  });

  it('only public addresses may be reached; loopback too where the local stack allows it', () => {
    expect(mayConnect('public', { allowLoopback: false })).toBe(true);
    expect(mayConnect('loopback', { allowLoopback: false })).toBe(false);
    expect(mayConnect('loopback', { allowLoopback: true })).toBe(true);
    for (const cls of ['private', 'link_local', 'cgnat', 'unique_local', 'metadata', 'unspecified', 'multicast', 'reserved'] as const) {
      expect(mayConnect(cls, { allowLoopback: true })).toBe(false);
    }
  });
});

describe('X4 callbackUrlProblem: what a center may save as its callback URL', () => {
  const strict = { allowLoopback: false };
  const local = { allowLoopback: true };

  it('accepts an https URL of a public host or address', () => {
    expect(callbackUrlProblem('https://booking.example.com/hooks/comms?x=1', strict)).toBeNull();
    expect(callbackUrlProblem('https://93.184.216.34:8443/hook', strict)).toBeNull();
    expect(callbackUrlProblem('https://[2606:4700:4700::1111]/hook', strict)).toBeNull();
  });

  it('refuses http, other schemes, credentials and overlong URLs', () => {
    expect(callbackUrlProblem('http://booking.example.com/hook', strict)).toMatch(/https/);
    expect(callbackUrlProblem('http://93.184.216.34/hook', local)).toMatch(/https/);
    expect(callbackUrlProblem('ftp://booking.example.com/hook', strict)).toMatch(/https/);
    expect(callbackUrlProblem('file:///etc/passwd', strict)).toMatch(/https/);
    expect(callbackUrlProblem('not a url', strict)).toMatch(/absolute URL/);
    expect(callbackUrlProblem('https://user:secret@booking.example.com/hook', strict)).toMatch(/user name or password/);
    expect(callbackUrlProblem('https://user@booking.example.com/hook', strict)).toMatch(/user name or password/);
    expect(callbackUrlProblem(`https://booking.example.com/${'a'.repeat(300)}`, strict)).toMatch(/at most 255/);
  });

  it('refuses private, loopback and metadata hosts in every spelling the URL parser normalises', () => {
    for (const url of [
      'https://127.0.0.1/hook',
      'https://2130706433/hook', // decimal
      'https://0x7f.1/hook', // hex, short form
      'https://0177.0.0.1/hook', // octal
      'https://017700000001/hook', // octal, one number
      'https://127.1/hook',
      'https://%31%32%37.0.0.1/hook', // percent-encoded
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://localhost/hook',
      'https://LOCALHOST./hook',
      'https://api.localhost/hook',
    ]) {
      expect(callbackUrlProblem(url, strict), url).toMatch(/loopback/);
    }
    expect(callbackUrlProblem('https://169.254.169.254/latest/meta-data', strict)).toMatch(/metadata/);
    expect(callbackUrlProblem('https://[::ffff:a9fe:a9fe]/', local)).toMatch(/metadata/);
    expect(callbackUrlProblem('https://10.0.0.5/hook', local)).toMatch(/private/);
    expect(callbackUrlProblem('https://100.64.1.1/hook', strict)).toMatch(/cgnat/);
    expect(callbackUrlProblem('https://[fd00::1]/hook', strict)).toMatch(/unique-local/);
    expect(callbackUrlProblem('https://0/hook', strict)).toMatch(/unspecified/);
  });

  it('allows http and https to loopback only where the local stack allows it', () => {
    expect(callbackUrlProblem('http://127.0.0.1:4000/hook', local)).toBeNull();
    expect(callbackUrlProblem('http://localhost:4000/hook', local)).toBeNull();
    expect(callbackUrlProblem('https://[::1]:4000/hook', local)).toBeNull();
    expect(callbackUrlProblem('http://127.0.0.1:4000/hook', strict)).toMatch(/https/);
    // A name passes here; the send lets http through only if it resolves to loopback alone.
    expect(callbackUrlProblem('http://booking.internal:4000/hook', local)).toBeNull();
  });
});
