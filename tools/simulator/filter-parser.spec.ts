import { describe, expect, it } from '@jest/globals';
import {
  compileFilter,
  FilterParseError,
  matchesFilter,
  parseFilter,
  type FilterExpression,
} from './filter-parser.js';

/** Spec §4's quoting: `"` and `\` are backslash-escaped inside double quotes. */
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

function parseError(filter: string): FilterParseError {
  try {
    parseFilter(filter);
  } catch (error) {
    if (error instanceof FilterParseError) return error;
    throw error;
  }
  throw new Error(`expected ${filter} to be rejected`);
}

describe('parseFilter', () => {
  it.each([
    ['md5', 'file.hash.md5', ['file', 'md5']],
    ['sha256', 'file.hash.sha256', ['file', 'sha256']],
    ['file_name', 'file.name', ['file', 'fileName']],
    ['file_path', 'file.fullPath', ['file', 'fullPath']],
    ['domain', 'network.remote.address.fqdn', ['network', 'remoteDns']],
    ['mutex', 'handle.name', ['handle', 'name']],
  ])('parses the spec §4 %s form', (_type, field, path) => {
    expect(parseFilter(`${field}: "abc-123"`)).toEqual({
      anyOf: [[{ field, path, value: 'abc-123' }]],
    });
  });

  it('parses the spec §4 ip form as two alternatives', () => {
    const filter = 'network.local.address.ip: "10.0.0.1" or network.remote.address.ip: "10.0.0.1"';
    expect(parseFilter(filter)).toEqual({
      anyOf: [
        [{ field: 'network.local.address.ip', path: ['network', 'localIP'], value: '10.0.0.1' }],
        [{ field: 'network.remote.address.ip', path: ['network', 'remoteIP'], value: '10.0.0.1' }],
      ],
    });
  });

  it('unescapes quotes and backslashes', () => {
    const value = 'C:\\dir\\"quoted" \\\\share';
    expect(parseFilter(`file.fullPath: ${quote(value)}`).anyOf[0][0].value).toBe(value);
  });

  it('keeps or/and text inside quotes as part of the value', () => {
    expect(parseFilter('file.name: "a or b and c"').anyOf).toEqual([
      [{ field: 'file.name', path: ['file', 'fileName'], value: 'a or b and c' }],
    ]);
  });

  it('accepts upper-case keywords, missing space after the colon and surrounding blanks', () => {
    const expected: FilterExpression = {
      anyOf: [
        [{ field: 'file.name', path: ['file', 'fileName'], value: 'a' }],
        [{ field: 'handle.name', path: ['handle', 'name'], value: 'b' }],
      ],
    };
    expect(parseFilter('  file.name:"a" OR handle.name :  "b"  ')).toEqual(expected);
  });

  it('binds and tighter than or', () => {
    const expression = parseFilter('file.name: "a" and file.hash.md5: "m" or handle.name: "h"');
    expect(expression.anyOf.map((group) => group.map((clause) => clause.value))).toEqual([
      ['a', 'm'],
      ['h'],
    ]);
  });

  it('parses an empty quoted value', () => {
    expect(parseFilter('file.name: ""').anyOf[0][0].value).toBe('');
  });

  it.each([
    ['', 'empty filter at position 0'],
    ['   ', 'empty filter at position 3'],
    ['file.name "a"', "expected ':' at position 10"],
    ['file.name: a', `expected '"' at position 11`],
    ['file.name: "a', 'unterminated quoted value at position 13'],
    ['file.name: "a\\', 'unterminated escape at position 14'],
    ['file.name: "a\\n"', "unsupported escape '\\n' at position 14"],
    ['file.md5: "a"', "unknown field 'file.md5' at position 0"],
    ['constructor: "a"', "unknown field 'constructor' at position 0"],
    ['file.name: "a" xor handle.name: "b"', "expected 'or' or 'and' at position 15"],
    ['file.name: "a"or handle.name: "b"', "unexpected character 'o' at position 14"],
    ['file.name: "a" or', 'expected a field name at position 17'],
    ['(file.name: "a")', 'expected a field name at position 0'],
    ['file.name: "a" "b"', "expected 'or' or 'and' at position 15"],
  ])('rejects %j with a typed error', (filter, message) => {
    const error = parseError(filter);
    expect(error).toBeInstanceOf(FilterParseError);
    expect(error.message).toBe(message);
  });

  it('reports where parsing failed', () => {
    expect(parseError('file.name: "a" or nope: "b"').position).toBe(18);
  });
});

describe('matchesFilter', () => {
  const event = {
    file: { fileName: 'a "b" \\ c', sha256: 'abc' },
    network: { localIP: '10.0.0.1', remoteIP: '203.0.113.9' },
  };

  it('matches by exact string equality on the mapped JSON path', () => {
    expect(matchesFilter(parseFilter(`file.name: ${quote('a "b" \\ c')}`), event)).toBe(true);
    expect(matchesFilter(parseFilter('file.hash.sha256: "ABC"'), event)).toBe(false);
    expect(matchesFilter(parseFilter('file.hash.sha256: "ab"'), event)).toBe(false);
  });

  it('matches the ip form on either the local or the remote address', () => {
    const ipFilter = (ip: string) =>
      compileFilter(`network.local.address.ip: "${ip}" or network.remote.address.ip: "${ip}"`);
    expect(ipFilter('10.0.0.1')(event)).toBe(true);
    expect(ipFilter('203.0.113.9')(event)).toBe(true);
    expect(ipFilter('192.0.2.1')(event)).toBe(false);
  });

  it('requires every clause of an and group', () => {
    expect(compileFilter('file.hash.sha256: "abc" and file.name: "x"')(event)).toBe(false);
    expect(
      compileFilter('file.hash.sha256: "abc" and network.local.address.ip: "10.0.0.1"')(event),
    ).toBe(true);
  });

  it('does not match missing blocks, non-objects or non-string values', () => {
    const match = compileFilter('handle.name: "8"');
    expect(match(event)).toBe(false);
    expect(match(null)).toBe(false);
    expect(match({ handle: null })).toBe(false);
    expect(match({ handle: { name: 8 } })).toBe(false);
    expect(match({ handle: { name: '8' } })).toBe(true);
  });
});
