import { describe, expect, it } from '@jest/globals';
import {
  batchCandidates,
  batchKindOf,
  normaliseExactValue,
  normaliseHash,
  normaliseIp,
} from './batch-kinds.js';

const SHA = '52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786';
const MD5 = 'e5f96ae00443877315fbb64fd3d90005';

describe('batch kinds (spec §12)', () => {
  it('names md5, sha256 and ip exact and the other types contains', () => {
    const types = ['md5', 'sha256', 'ip', 'file_name', 'file_path', 'domain', 'mutex'] as const;
    expect(types.map((type) => batchKindOf(type))).toEqual([
      'exact',
      'exact',
      'exact',
      'contains',
      'contains',
      'contains',
      'contains',
    ]);
  });

  it('reads a hash as hex of its length, in lower case', () => {
    expect(normaliseHash('sha256', SHA.toUpperCase())).toBe(SHA);
    expect(normaliseHash('md5', MD5)).toBe(MD5);
    expect(normaliseHash('md5', SHA)).toBeUndefined();
    expect(normaliseHash('sha256', `${SHA.slice(1)}g`)).toBeUndefined();
    expect(normaliseHash('md5', ` ${MD5.slice(1)}`)).toBeUndefined();
  });

  it('writes an address in one form: compressed lower-case IPv6, mapped IPv4 as IPv4', () => {
    expect(normaliseIp('203.0.113.66')).toBe('203.0.113.66');
    expect(normaliseIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normaliseIp('2001:db8::1')).toBe('2001:db8::1');
    expect(normaliseIp('::ffff:10.12.4.21')).toBe('10.12.4.21');
    expect(normaliseIp('::FFFF:a0c:415')).toBe('10.12.4.21');
    expect(normaliseIp('0:0:0:0:0:ffff:0a0c:0415')).toBe('10.12.4.21');
    expect(normaliseIp('::1')).toBe('::1');
  });

  it('refuses what is not an address: names, leading zeros, zone ids, ports', () => {
    for (const text of ['example.com', '010.1.1.1', 'fe80::1%eth0', '1.2.3.4:80', '', '1.2.3']) {
      expect(normaliseIp(text)).toBeUndefined();
    }
    expect(normaliseExactValue('ip', 'not an ip')).toBeUndefined();
    expect(normaliseExactValue('sha256', SHA.toUpperCase())).toBe(SHA);
  });

  it('searches alone the values that do not parse and every observable equal to another', () => {
    const candidates = batchCandidates([
      { type: 'sha256', value: SHA },
      { type: 'ip', value: '::ffff:10.0.0.1' },
      { type: 'sha256', value: SHA.toUpperCase() },
      { type: 'ip', value: 'nonsense' },
      { type: 'md5', value: MD5 },
      { type: 'ip', value: '10.0.0.1' },
      { type: 'domain', value: 'example.com' },
      { type: 'md5', value: 'short' },
      { type: 'file_name', value: 'Example.com' },
    ]);
    expect(candidates).toEqual({ batchable: [4, 6, 8], alone: [0, 1, 2, 3, 5, 7] });
  });
});
