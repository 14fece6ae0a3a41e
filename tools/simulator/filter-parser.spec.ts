import { describe, expect, it } from '@jest/globals';
import {
  batchedObservables,
  compileFilter,
  parseSearchFilter,
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
    ['(file.name: "a"', "expected ')' at position 15"],
    ['()', 'expected a field name at position 1'],
    ['(file.name: "a"))', "unexpected character ')' at position 16"],
    ['(file.name: "a")(handle.name: "b")', "unexpected character '(' at position 16"],
    ['(file.name: "a") xor (handle.name: "b")', "expected 'or' or 'and' at position 17"],
    [`${'('.repeat(9)}file.name: "a"${')'.repeat(9)}`, 'filter nested too deeply at position 8'],
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

describe('parenthesised filters (spec §12 batches)', () => {
  const sha = (n: number) => `file.hash.sha256: "${String(n).repeat(3)}"`;

  it('parses a batch of own filters into their alternatives, in order', () => {
    const ip = 'network.local.address.ip: "10.0.0.1" or network.remote.address.ip: "10.0.0.1"';
    const parsed = parseSearchFilter(`(${sha(1)}) or (${ip}) OR ( ${sha(2)} )`);
    expect(parsed.observables).toBe(3);
    expect(
      parsed.expression.anyOf.map((group) => group.map((clause) => [clause.field, clause.value])),
    ).toEqual([
      [['file.hash.sha256', '111']],
      [['network.local.address.ip', '10.0.0.1']],
      [['network.remote.address.ip', '10.0.0.1']],
      [['file.hash.sha256', '222']],
    ]);
  });

  it('counts as batched only a top-level or of two or more parenthesised groups', () => {
    expect(batchedObservables(`(${sha(1)}) or (${sha(2)})`)).toBe(2);
    expect(batchedObservables(`${sha(1)} or ${sha(2)}`)).toBe(1);
    expect(batchedObservables(`(${sha(1)} or ${sha(2)})`)).toBe(1);
    expect(batchedObservables(`(${sha(1)}) or ${sha(2)}`)).toBe(1);
    expect(batchedObservables(`(${sha(1)}) and (${sha(2)})`)).toBe(1);
    expect(batchedObservables(`((${sha(1)}) or (${sha(2)}))`)).toBe(1);
    expect(batchedObservables('(nonsense')).toBe(1);
  });

  it('distributes and over parenthesised alternatives', () => {
    const parsed = parseSearchFilter(`(${sha(1)} or ${sha(2)}) and file.name: "x"`);
    expect(parsed.expression.anyOf.map((group) => group.map((clause) => clause.value))).toEqual([
      ['111', 'x'],
      ['222', 'x'],
    ]);
  });

  it('refuses a filter with too many alternatives', () => {
    const wide = Array.from({ length: 101 }, (_, n) => `(${sha(n)} or ${sha(n + 1)})`).join(
      ' and ',
    );
    expect(parseError(wide).reason).toBe('filter too complex');
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

  it('with containsMatch, matches contains fields inside longer values, exact fields only whole', () => {
    const text = {
      file: { fileName: 'invoice_2024.exe', fullPath: 'C:\\x\\invoice_2024.exe', sha256: 'abc' },
      network: { remoteDns: 'www.c2.example.net', localIP: '10.0.0.12' },
      handle: { name: 'Global\\Mutex1' },
    };
    const contains = (filter: string) => compileFilter(filter, { containsMatch: true })(text);
    expect(contains('file.name: "invoice"')).toBe(true);
    expect(contains('file.fullPath: "x\\\\invoice"')).toBe(true);
    expect(contains('network.remote.address.fqdn: "c2.example.net"')).toBe(true);
    expect(contains('handle.name: "Mutex"')).toBe(true);
    expect(contains('handle.name: "mutex"')).toBe(false);
    expect(contains('file.hash.sha256: "ab"')).toBe(false);
    expect(contains('network.local.address.ip: "10.0.0.1"')).toBe(false);
    // Off by default: a single search answers as it always has.
    expect(compileFilter('file.name: "invoice"')(text)).toBe(false);
    expect(compileFilter('file.name: "invoice_2024.exe"')(text)).toBe(true);
  });

  it('with looseHashes, matches a hash in another case and through indicator2 only', () => {
    const upper = { file: { sha256: 'ABC' } };
    const verdictOnly = { file: { sha256: 'fff' }, indicator2: [{ sha256: 'Abc' }, null] };
    const loose = compileFilter('file.hash.sha256: "abc"', { looseHashes: true });
    expect([loose(upper), loose(verdictOnly), loose({ indicator2: 'abc' })]).toEqual([
      true,
      true,
      false,
    ]);
    const strict = compileFilter('file.hash.sha256: "abc"');
    expect([strict(upper), strict(verdictOnly)]).toEqual([false, false]);
    const md5 = compileFilter('file.hash.md5: "abc"', { looseHashes: true });
    expect([md5(verdictOnly), md5({ indicator2: [{ md5: 'ABC' }] })]).toEqual([false, true]);
    const ip = compileFilter('network.local.address.ip: "a::1"', { looseHashes: true });
    expect(ip({ network: { localIP: 'A::1' } })).toBe(false);
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
