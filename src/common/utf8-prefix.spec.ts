import { describe, expect, it } from '@jest/globals';
import { utf8Prefix } from './utf8-prefix.js';

describe('utf8Prefix', () => {
  it('keeps text that fits whole (the same string)', () => {
    const text = 'héllo 😀';
    expect(utf8Prefix(text, Buffer.byteLength(text))).toBe(text);
  });

  it('cuts at the last whole character that fits, counting UTF-8 bytes', () => {
    expect(utf8Prefix('a'.repeat(5000), 4096)).toBe('a'.repeat(4096));
    expect(utf8Prefix('é'.repeat(3000), 4096)).toBe('é'.repeat(2048));
    expect(utf8Prefix('€'.repeat(2000), 4096)).toBe('€'.repeat(1365));
  });

  it('never ends inside a surrogate pair', () => {
    // 'a' + emoji pairs: 1 + 4n bytes; 4096 leaves 3 bytes, not enough for another pair.
    const prefix = utf8Prefix(`a${'😀'.repeat(2000)}`, 4096);
    expect(prefix).toBe(`a${'😀'.repeat(1023)}`);
    expect(Buffer.byteLength(prefix)).toBe(4093);
  });

  it('counts a lone surrogate as the 3 bytes of U+FFFD', () => {
    expect(utf8Prefix('\ud800'.repeat(2000), 4096)).toBe('\ud800'.repeat(1365));
  });
});
