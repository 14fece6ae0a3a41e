import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  JWT_AT_WORD_START,
  JWT_IN_TEXT,
  LONG_DOTTED_TRIPLE,
  replaceDottedTokens,
} from './dotted-tokens.js';

/** Text made of the characters the shapes care about, so tokens and near-tokens are frequent. */
const tokenish = fc
  .array(
    fc.constantFrom('eyJ', 'e', 'y', 'J', 'a', 'abcd', 'x'.repeat(10), '-', '_', '.', ' ', '/'),
    {
      maxLength: 40,
    },
  )
  .map((parts) => parts.join(''));

describe('replaceDottedTokens', () => {
  it('replaces a JWT, keeping what surrounds it', () => {
    expect(replaceDottedTokens('got xeyJhbGc.eyJzdWIi.sig-1 and more', JWT_IN_TEXT, '[R]')).toBe(
      'got x[R] and more',
    );
  });

  it('leaves runs with fewer than three segments, and too short segments, alone', () => {
    for (const text of ['eyJhbGciOi.eyJzdWIi', 'eyJabc.eyJzdWIi.sig', 'eyJhbGc.abc.sig', 'plain']) {
      expect(replaceDottedTokens(text, JWT_IN_TEXT, '[R]')).toBe(text);
    }
  });

  it('resumes after a token: two tokens in one run are both replaced', () => {
    expect(replaceDottedTokens('eyJaaaa.bbbb.c.eyJdddd.eeee.f', JWT_IN_TEXT, '[R]')).toBe(
      '[R].[R]',
    );
  });

  it.each([
    ['the JWT shape', JWT_IN_TEXT, /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g],
    ['a JWT at a word start', JWT_AT_WORD_START, /\beyJ[\w-]*\.[\w-]+\.[\w-]*/g],
    ['three long segments', LONG_DOTTED_TRIPLE, /[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/g],
  ])('finds exactly what the backtracking pattern of %s finds', (_name, rule, pattern) => {
    fc.assert(
      fc.property(tokenish, (text) => {
        expect(replaceDottedTokens(text, rule, '[R]')).toBe(text.replace(pattern, '[R]'));
      }),
      { numRuns: 3000 },
    );
  });

  it('scans pathological inputs of 128 KB in linear time', () => {
    const inputs = [
      'eyJ'.repeat(44_000),
      '-eyJ'.repeat(32_768),
      'a'.repeat(131_072),
      'eyJaaaa.'.repeat(16_384),
      'aaaaaaaaaa.'.repeat(12_000),
    ];
    const started = performance.now();
    for (const text of inputs) {
      for (const rule of [JWT_IN_TEXT, JWT_AT_WORD_START, LONG_DOTTED_TRIPLE])
        replaceDottedTokens(text, rule, '[R]');
    }
    // The backtracking patterns take seconds on the first three; generous bound.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
