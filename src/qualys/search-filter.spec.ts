import { describe, expect, it } from '@jest/globals';
import { buildSearchFilter, quoteFilterValue } from './search-filter.js';

describe('buildSearchFilter (spec §4)', () => {
  it.each([
    [
      'md5',
      'd41d8cd98f00b204e9800998ecf8427e',
      'file.hash.md5: "d41d8cd98f00b204e9800998ecf8427e"',
    ],
    ['sha256', 'abc', 'file.hash.sha256: "abc"'],
    ['file_name', 'evil.exe', 'file.name: "evil.exe"'],
    ['file_path', 'C:\\Temp\\evil.exe', 'file.fullPath: "C:\\\\Temp\\\\evil.exe"'],
    [
      'ip',
      '10.0.0.1',
      'network.local.address.ip: "10.0.0.1" or network.remote.address.ip: "10.0.0.1"',
    ],
    ['domain', 'evil.example', 'network.remote.address.fqdn: "evil.example"'],
    ['mutex', 'Global\\M', 'handle.name: "Global\\\\M"'],
  ] as const)('%s', (type, value, expected) => {
    expect(buildSearchFilter({ type, value })).toBe(expected);
  });

  it('escapes quotes so a value cannot change the query', () => {
    expect(buildSearchFilter({ type: 'file_name', value: 'x" or file.name: "y' })).toBe(
      'file.name: "x\\" or file.name: \\"y"',
    );
  });

  it('escapes a trailing backslash that would otherwise eat the closing quote', () => {
    expect(quoteFilterValue('ends with \\')).toBe('"ends with \\\\"');
  });
});
