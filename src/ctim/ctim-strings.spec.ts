import { describe, expect, it } from '@jest/globals';
import { truncate, truncateLong, truncateShort } from './ctim-strings.js';

describe('truncate', () => {
  it('leaves a string at or under the limit alone', () => {
    expect([truncate('abc', 3), truncate('ab', 3), truncate('', 3)]).toEqual(['abc', 'ab', '']);
  });

  it('cuts a longer string to the limit', () => {
    expect(truncate('abcdef', 4)).toBe('abcd');
  });

  it('never leaves half of a surrogate pair at the end', () => {
    // '😀' is two UTF-16 code units; cutting at 2 would split it.
    expect(truncate('a😀b', 2)).toBe('a');
    expect(truncate('a😀b', 3)).toBe('a😀');
  });
});

describe('CTIM limits (spec §5)', () => {
  it('cuts title/reason to 1024 and description to 5000', () => {
    expect([truncateShort('x'.repeat(1030)).length, truncateLong('y'.repeat(6000)).length]).toEqual(
      [1024, 5000],
    );
    expect([truncateShort('x'.repeat(1024)), truncateLong('short')]).toEqual([
      'x'.repeat(1024),
      'short',
    ]);
  });
});
