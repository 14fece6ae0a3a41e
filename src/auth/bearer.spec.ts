import { describe, expect, it } from '@jest/globals';
import { expectAuthFailureSync } from '../../test/support/jwt-expect.js';
import { AuthReason } from './auth-reasons.js';
import { extractBearerToken } from './bearer.js';

describe('extractBearerToken (spec §3)', () => {
  it.each([
    ['Bearer a.b.c', 'a.b.c'],
    ['bearer a.b.c', 'a.b.c'],
    ['BEARER a.b.c', 'a.b.c'],
    ['  Bearer    a.b.c  ', 'a.b.c'],
  ])('reads %j', (header, token) => {
    expect(extractBearerToken(header)).toBe(token);
  });

  it.each<[string, string | string[] | undefined, string]>([
    ['no header', undefined, AuthReason.HEADER_MISSING],
    ['an empty header', '', AuthReason.HEADER_MISSING],
    ['a blank header', '   ', AuthReason.HEADER_MISSING],
    ['Basic', 'Basic dXNlcjpwYXNz', AuthReason.WRONG_TYPE],
    ['a bare token', 'a.b.c', AuthReason.WRONG_TYPE],
    ['Bearer-ish scheme', 'Bearerx a.b.c', AuthReason.WRONG_TYPE],
    ['an array of headers', ['Bearer a.b.c', 'Bearer d.e.f'], AuthReason.WRONG_TYPE],
    ['Bearer without token', 'Bearer', AuthReason.WRONG_STRUCTURE],
    ['Bearer with blanks', 'Bearer    ', AuthReason.WRONG_STRUCTURE],
    ['Bearer with two tokens', 'Bearer a.b.c d.e.f', AuthReason.WRONG_STRUCTURE],
  ])('refuses %s', (_name, header, reason) => {
    expectAuthFailureSync(() => extractBearerToken(header), reason);
  });
});
