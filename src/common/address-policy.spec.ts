import { describe, expect, it } from '@jest/globals';
import { createAddressPolicy, parseCidr } from './address-policy.js';

const strict = createAddressPolicy({ allowlist: [], allowAll: false });

describe('createAddressPolicy (spec §3: the address actually connected to)', () => {
  it.each([
    // IPv4 ranges, at their edges.
    ['0.0.0.0', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['192.168.255.255', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved or broadcast'],
    ['240.0.0.1', 'reserved or broadcast'],
    // IPv6's own ranges.
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['FF05::2', 'multicast'],
    // IPv4 ranges in IPv6 disguise: mapped, compatible, NAT64, 6to4.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::127.0.0.1', 'loopback (embedded IPv4)'],
    ['64:ff9b::127.0.0.1', 'loopback (embedded IPv4)'],
    ['64:ff9b::a00:1', 'private (embedded IPv4)'],
    ['64:ff9b::100.64.0.1', 'carrier-grade NAT (embedded IPv4)'],
    ['64:ff9b::c612:1', 'benchmarking (embedded IPv4)'],
    ['2002:7f00:1::', 'loopback (embedded IPv4)'],
    ['2002:c0a8:101::1', 'private (embedded IPv4)'],
    ['2002:a9fe:a9fe:1::1', 'link-local (embedded IPv4)'],
    ['2002:0a00:0001:ffff:ffff:ffff:ffff:ffff', 'private (embedded IPv4)'],
    // Not an address at all: never connect.
    ['gateway.qg1.apps.qualys.com', 'not an IP address'],
    ['', 'not an IP address'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(strict.refusal(address)).toBe(reason);
  });

  it.each([
    '64.39.96.1', // a Qualys US platform address
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255', // just below CGNAT
    '100.128.0.0', // just above CGNAT
    '172.15.255.255',
    '172.32.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2600:1f18::1',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8', // NAT64 of a public address: how IPv6-only clusters reach IPv4 Qualys
    '2002:808:808::1', // 6to4 of 8.8.8.8
  ])('allows the public address %s', (address) => {
    expect(strict.refusal(address)).toBeUndefined();
  });

  it('allows refused addresses inside QUALYS_ADDRESS_ALLOWLIST, and only those', () => {
    const policy = createAddressPolicy({
      allowlist: ['10.20.0.0/16', '127.0.0.1', 'fd00:abcd::/32'],
      allowAll: false,
    });
    const addresses = [
      '10.20.30.40',
      '::ffff:10.20.30.40',
      '64:ff9b::10.20.30.40',
      '10.21.0.1',
      '127.0.0.1',
      '127.0.0.2',
      'fd00:abcd::5',
      'fd00:abce::5',
    ];
    expect(addresses.map((address) => [address, policy.refusal(address)])).toEqual([
      ['10.20.30.40', undefined],
      ['::ffff:10.20.30.40', undefined],
      ['64:ff9b::10.20.30.40', undefined],
      ['10.21.0.1', 'private'],
      ['127.0.0.1', undefined],
      ['127.0.0.2', 'loopback'],
      ['fd00:abcd::5', undefined],
      ['fd00:abce::5', 'unique-local'],
    ]);
  });

  it('allows every address with QUALYS_ALLOW_INSECURE (demo, tests)', () => {
    const insecure = createAddressPolicy({ allowlist: [], allowAll: true });
    expect(
      ['127.0.0.1', '::1', '10.0.0.1', '64:ff9b::127.0.0.1'].map((a) => insecure.refusal(a)),
    ).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('refuses an allow-list it cannot read', () => {
    expect(() => createAddressPolicy({ allowlist: ['10.0.0.0/33'], allowAll: false })).toThrow(
      new TypeError('the address allow-list holds an invalid CIDR'),
    );
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', { network: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    [' 192.168.1.7 ', { network: '192.168.1.7', prefix: 32, family: 'ipv4' }],
    ['0.0.0.0/0', { network: '0.0.0.0', prefix: 0, family: 'ipv4' }],
    ['fd00::/8', { network: 'fd00::', prefix: 8, family: 'ipv6' }],
    ['::1', { network: '::1', prefix: 128, family: 'ipv6' }],
  ])('reads %j', (text, cidr) => {
    expect(parseCidr(text)).toEqual(cidr);
  });

  it.each([
    '',
    '10.0.0.0/33',
    '::/129',
    '10.0.0/8',
    'example.com/24',
    '10.0.0.0/',
    '10.0.0.0/8/8',
    '10.0.0.0/-1',
  ])('refuses %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});
