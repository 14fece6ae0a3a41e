import { describe, expect, it } from '@jest/globals';
import { ErrorCode, RelayError } from '../common/relay-error.js';
import { tokenFromAuthAnswer } from './auth-answer.js';

const TOKEN =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIiwiZXhwIjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLWJ5dGVz_-0';

describe('tokenFromAuthAnswer (spec §7)', () => {
  it('takes the trimmed JWT-shaped body', () => {
    expect(tokenFromAuthAnswer(`  ${TOKEN}\r\n`)).toBe(TOKEN);
  });

  it.each([
    ['an empty body', ''],
    ['blank text', ' \n '],
    ['an HTML page', '<html><body>Please log in</body></html>'],
    ['a JSON error', '{"error":"maintenance"}'],
    ['two segments', 'abc.def'],
    ['four segments', 'a.b.c.d'],
    ['an empty signature', 'abc.def.'],
    ['a token with padding', 'abc.def.ghi='],
    ['two tokens', `${TOKEN} ${TOKEN}`],
    ['a token and more text', `${TOKEN}\nsee you`],
  ])('refuses %s with unknown', (_name, body) => {
    expect(() => tokenFromAuthAnswer(body)).toThrow(
      new RelayError(ErrorCode.UNKNOWN, 'Unexpected response from Qualys IOC authentication'),
    );
  });
});
