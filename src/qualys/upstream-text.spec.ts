import { describe, expect, it } from '@jest/globals';
import { MAX_QUOTED_CODE_POINTS, MAX_UPSTREAM_TEXT_BYTES, quoteUpstream } from './upstream-text.js';

const USER = 'Alice.Admin';
const PASS = 'p&ss=w+rd% "x"';
const secrets = [USER, PASS];
const JWT =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

describe('quoteUpstream (spec §7)', () => {
  it.each([
    ['a JWT', `token ${JWT} expired`, 'token [redacted] expired'],
    [
      'three long base64url segments',
      'bad token AbCdEfGhIjKl.MnOpQrStUvWx.YzAbCdEfGhIj here',
      'bad token [redacted] here',
    ],
    ['a bearer token', 'got Bearer opaque-token-123; rejected', 'got Bearer [redacted]; rejected'],
    [
      'a basic credential',
      'got basic YWxpY2U6cGFzcw==, rejected',
      'got basic [redacted], rejected',
    ],
    [
      'an Authorization header line',
      'GET /ioc/events\r\nAuthorization: Token t0p-s3cret\r\nHost: x',
      'GET /ioc/events Authorization: [redacted] Host: x',
    ],
    [
      'an empty Authorization header line, not the next line',
      'Authorization:\nUser: someone',
      'Authorization:[redacted] User: someone',
    ],
    [
      'a Proxy-Authorization header line',
      'proxy-authorization: Basic abc def\nnext',
      'proxy-authorization: [redacted] next',
    ],
    [
      'an Authorization field in JSON',
      '{"authorization":"Digest u=1, r=2","status":502}',
      '{"authorization":[redacted],"status":502}',
    ],
    ['the user name, in any case', 'no IOC access for alice.admin', 'no IOC access for [redacted]'],
    ['the password as written', `password ${PASS} is wrong`, 'password [redacted] is wrong'],
    [
      'the form-encoded password and user name',
      `username=${USER}&password=${new URLSearchParams({ p: PASS }).toString().slice(2)}&token=true`,
      'username=[redacted]&password=[redacted]&token=true',
    ],
    ['the URL-encoded password', `echo ${encodeURIComponent(PASS)}`, 'echo [redacted]'],
    ['the JSON-escaped password', `{"p":${JSON.stringify(PASS)}}`, '{"p":"[redacted]"}'],
  ])('scrubs %s', (_name, text, quoted) => {
    expect(quoteUpstream(text, secrets)).toBe(quoted);
  });

  it('replaces every secret in one pass (a short one cannot split "[redacted]")', () => {
    expect(quoteUpstream('user red, pass redacted', ['red', 'redacted'])).toBe(
      'user [redacted], pass [redacted]',
    );
  });

  it('leaves ordinary text alone, on one line', () => {
    expect(quoteUpstream('  boom-500\n\n  at   gateway\t ', secrets)).toBe('boom-500 at gateway');
    expect(quoteUpstream('Authorization failed for this subscription', secrets)).toBe(
      'Authorization failed for this subscription',
    );
  });

  it('keeps text of exactly 200 code points whole', () => {
    const text = '😀'.repeat(MAX_QUOTED_CODE_POINTS);
    expect(quoteUpstream(text, secrets)).toBe(text);
  });

  it('cuts longer text to 200 code points with an ellipsis, never inside a surrogate pair', () => {
    const quoted = quoteUpstream(`${'a'.repeat(198)}😀😀😀`, secrets);
    expect(quoted).toBe(`${'a'.repeat(198)}😀…`);
    expect(Array.from(quoted)).toHaveLength(200);
    expect(/\p{Surrogate}/u.test(quoted)).toBe(false);
  });

  it('makes lone surrogates from a JSON body well-formed', () => {
    expect(quoteUpstream('bad \ud800 value', secrets)).toBe('bad \ufffd value');
  });

  it('copes with a secret holding a lone surrogate', () => {
    expect(quoteUpstream('user x\ud800y refused', ['x\ud800y'])).toBe('user [redacted] refused');
  });

  it.each([
    ['65,536 × a', 'a'.repeat(65_536)],
    ['eyJ after hyphens', '-eyJ'.repeat(16_384)],
    ['long segments without a third', 'aaaaaaaaaaaa.'.repeat(5_100)],
    ['Authorization with no separator', 'authorization '.repeat(4_700)],
  ])('reads only the first 4 KiB of %s (64 KB and more): quick, and marked as cut', (_n, text) => {
    expect(text.length).toBeGreaterThanOrEqual(64 * 1024);
    const started = performance.now();
    const quoted = quoteUpstream(text, secrets);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(Array.from(quoted)).toHaveLength(MAX_QUOTED_CODE_POINTS);
    expect(quoted.endsWith('…')).toBe(true);
  });

  it('scrubs 50,000 × a to its first 199 characters and an ellipsis', () => {
    expect(quoteUpstream('a'.repeat(50_000), secrets)).toBe(`${'a'.repeat(199)}…`);
  });

  it('drops the partial word at the 4 KiB cut: a secret cut short is not quoted', () => {
    const padding = ' '.repeat(MAX_UPSTREAM_TEXT_BYTES - 'error '.length - 4);
    // The cut falls inside the password: its first 4 characters would escape the scrub.
    const text = `error ${padding}${PASS.replace(/ /g, '_')} and more`;
    expect(quoteUpstream(text, secrets)).toBe('error…');
  });

  it('marks a text cut at 4 KiB even when what is left is short', () => {
    expect(quoteUpstream(`Bad gateway${' '.repeat(5000)}tail`, secrets)).toBe('Bad gateway…');
  });
});
