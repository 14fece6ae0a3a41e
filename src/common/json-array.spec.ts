import { describe, expect, it } from '@jest/globals';
import {
  MAX_CONTAINERS_PER_ELEMENT,
  MAX_JSON_DEPTH,
  parseJsonArray,
  scanJsonArray,
} from './json-array.js';

describe('scanJsonArray / parseJsonArray (bounded JSON arrays)', () => {
  it('parses an array within the element bound', () => {
    expect(parseJsonArray('[{"id":"a"},{"id":"b"}]', 2)).toEqual({
      ok: true,
      elements: [{ id: 'a' }, { id: 'b' }],
    });
  });

  it('counts exactly pageSize elements as fine and pageSize + 1 as too many', () => {
    const three = '[1, {"a": [2, 3]}, "x"]';
    expect(scanJsonArray(three, 3)).toBeUndefined();
    expect(scanJsonArray(three, 2)).toBe('too-many-elements');
    expect(parseJsonArray(three, 2)).toEqual({ ok: false, problem: 'too-many-elements' });
  });

  it('does not count brackets, commas or escaped quotes inside strings', () => {
    const text = String.raw`["a,b]", "[{,}]", "say \"hi\", ok", "ends with a backslash \\", "\\\"]"]`;
    expect(scanJsonArray(text, 5)).toBeUndefined();
    expect(scanJsonArray(text, 4)).toBe('too-many-elements');
    expect(parseJsonArray(text, 5)).toEqual({
      ok: true,
      elements: ['a,b]', '[{,}]', 'say "hi", ok', 'ends with a backslash \\', '\\"]'],
    });
  });

  it('counts a nested array or object as one element', () => {
    const text = '[[1,2,3],{"k":[4,5],"m":{"n":[6]}},[]]';
    expect(scanJsonArray(text, 3)).toBeUndefined();
    expect(scanJsonArray(text, 2)).toBe('too-many-elements');
  });

  it('accepts JSON whitespace anywhere between tokens', () => {
    const text = ' \r\n\t[ \n 1 ,\t{ "a" : 2 } ,\r\n "b" \n ] \n';
    expect(parseJsonArray(text, 3)).toEqual({ ok: true, elements: [1, { a: 2 }, 'b'] });
    expect(scanJsonArray(text, 2)).toBe('too-many-elements');
  });

  it('accepts an empty array under any bound, zero included', () => {
    expect(parseJsonArray('[]', 0)).toEqual({ ok: true, elements: [] });
    expect(parseJsonArray(' [ \n ] ', 1)).toEqual({ ok: true, elements: [] });
    expect(scanJsonArray('[1]', 0)).toBe('too-many-elements');
  });

  it('stops counting at the bound without reading the rest', () => {
    // Cut off after the bound: still "too many", not "invalid" — the rest is never looked at.
    expect(scanJsonArray('[{},{},{},{', 2)).toBe('too-many-elements');
    const flood = `[${'{},'.repeat(1_400_000)}{}]`;
    expect(scanJsonArray(flood, 1000)).toBe('too-many-elements');
  });

  it('calls text that is not JSON invalid', () => {
    for (const text of [
      '',
      '   ',
      '[',
      '[1,',
      '["unterminated]',
      '[1]]',
      '[1] x',
      '[}',
      '<html>',
      ']',
    ]) {
      expect([text, parseJsonArray(text, 10)]).toEqual([text, { ok: false, problem: 'invalid' }]);
    }
    // The scan leaves token syntax to JSON.parse.
    expect(parseJsonArray('[1 2]', 10)).toEqual({ ok: false, problem: 'invalid' });
    expect(parseJsonArray('[tru]', 10)).toEqual({ ok: false, problem: 'invalid' });
  });

  it('calls any other JSON value not an array, without parsing it', () => {
    for (const text of ['{"data":[]}', '"[1]"', '42', '-1', 'true', 'false', 'null', ' {']) {
      expect([text, scanJsonArray(text, 10)]).toEqual([text, 'not-array']);
    }
  });

  it('refuses nesting deeper than MAX_JSON_DEPTH before building it', () => {
    const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expect(parseJsonArray(nested(MAX_JSON_DEPTH), 1).ok).toBe(true);
    expect(scanJsonArray(nested(MAX_JSON_DEPTH + 1), 1)).toBe('too-complex');
    expect(scanJsonArray('['.repeat(4_000_000), 1)).toBe('too-complex');
  });

  it('refuses more objects and arrays than its elements may hold', () => {
    const within = `[{"a":[${'{},'.repeat(MAX_CONTAINERS_PER_ELEMENT - 3)}{}]}]`;
    expect(scanJsonArray(within, 1)).toBeUndefined();
    const flood = `[{"a":[${'{},'.repeat(1_000_000)}{}]}]`;
    expect(scanJsonArray(flood, 1)).toBe('too-complex');
  });
});
