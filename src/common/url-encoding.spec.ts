import { describe, expect, it } from '@jest/globals';
import { quote } from './url-encoding.js';

describe("quote (Python's urllib.parse.quote)", () => {
  it('encodes everything but unreserved characters by default', () => {
    expect(quote('a b/c:d"e\'f(g)h*i!j~k_l.m-n')).toBe(
      'a%20b%2Fc%3Ad%22e%27f%28g%29h%2Ai%21j~k_l.m-n',
    );
  });

  it('keeps the safe characters', () => {
    expect(quote('file.fullPath: "/tmp/x"', '/')).toBe('file.fullPath%3A%20%22/tmp/x%22');
  });

  it('encodes non-ASCII as UTF-8', () => {
    expect(quote('é')).toBe('%C3%A9');
  });
});
