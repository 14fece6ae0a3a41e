import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { QualysTokenCache, TOKEN_LIFETIME_MS, TOKEN_REFRESH_MARGIN_MS } from './token-cache.js';

function counter(tokens: string[]) {
  let calls = 0;
  return {
    fetch: () => Promise.resolve(tokens[calls++] ?? `token-${calls}`),
    get calls() {
      return calls;
    },
  };
}

describe('QualysTokenCache.keyOf', () => {
  const url = 'https://gateway.qg1.apps.qualys.com';

  it('gives different keys to credentials a NUL-joined key confused', () => {
    const a = { user: 'a\0b', pass: 'c' };
    const b = { user: 'a', pass: 'b\0c' };
    // The old key: sha256(url NUL user NUL pass), identical for both.
    const nulJoined = (credentials: { user: string; pass: string }) =>
      createHash('sha256')
        .update(`${url}\0${credentials.user}\0${credentials.pass}`)
        .digest('base64url');
    expect(nulJoined(a)).toBe(nulJoined(b));
    expect(QualysTokenCache.keyOf(url, a)).not.toBe(QualysTokenCache.keyOf(url, b));
  });

  it.each([
    ['a part boundary moved', [url, 'ab', 'c'], [url, 'a', 'bc']],
    ['the URL and the user', [`${url}x`, 'u', 'p'], [url, 'xu', 'p']],
    ['two lone surrogates', [url, 'u', 'x\ud800'], [url, 'u', 'x\ud801']],
  ])('keeps %s apart', (_name, [url1, user1, pass1], [url2, user2, pass2]) => {
    expect(QualysTokenCache.keyOf(url1, { user: user1, pass: pass1 })).not.toBe(
      QualysTokenCache.keyOf(url2, { user: user2, pass: pass2 }),
    );
  });

  it('is the same for the same API URL and credentials', () => {
    const key = QualysTokenCache.keyOf(url, { user: 'alice', pass: 'secret-pass' });
    expect(QualysTokenCache.keyOf(url, { user: 'alice', pass: 'secret-pass' })).toBe(key);
    expect(key).toMatch(/^[\w-]{43}$/);
  });
});

describe('QualysTokenCache (spec §7)', () => {
  it('reuses a token until shortly before its four hours end', async () => {
    let now = 0;
    const cache = new QualysTokenCache(() => now);
    const source = counter(['t1', 't2']);
    expect(await cache.get('k', source.fetch)).toBe('t1');
    now = TOKEN_LIFETIME_MS - TOKEN_REFRESH_MARGIN_MS - 1;
    expect(await cache.get('k', source.fetch)).toBe('t1');
    now = TOKEN_LIFETIME_MS - TOKEN_REFRESH_MARGIN_MS;
    expect(await cache.get('k', source.fetch)).toBe('t2');
    expect(source.calls).toBe(2);
  });

  it('shares one fetch between concurrent callers', async () => {
    const cache = new QualysTokenCache();
    const source = counter(['shared']);
    const lookups: string[] = [];
    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => cache.get('k', source.fetch, (kind) => lookups.push(kind))),
    );
    expect(tokens).toEqual(['shared', 'shared', 'shared', 'shared', 'shared']);
    expect(source.calls).toBe(1);
    expect(lookups).toEqual(['miss', 'shared', 'shared', 'shared', 'shared']);
  });

  it('never caches a failed fetch', async () => {
    const cache = new QualysTokenCache();
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', () => Promise.resolve('ok'))).toBe('ok');
  });

  it('keeps tokens of different credentials and API URLs apart', async () => {
    const cache = new QualysTokenCache();
    const a = QualysTokenCache.keyOf('https://a', { user: 'u', pass: 'p' });
    const b = QualysTokenCache.keyOf('https://b', { user: 'u', pass: 'p' });
    const c = QualysTokenCache.keyOf('https://a', { user: 'u', pass: 'q' });
    expect(new Set([a, b, c]).size).toBe(3);
    await cache.get(a, () => Promise.resolve('ta'));
    await cache.get(b, () => Promise.resolve('tb'));
    expect(await cache.get(a, () => Promise.resolve('other'))).toBe('ta');
    expect(await cache.get(b, () => Promise.resolve('other'))).toBe('tb');
  });

  it('does not keep the password in its key', () => {
    const key = QualysTokenCache.keyOf('https://a', { user: 'alice', pass: 'hunter2-secret' });
    expect(key).not.toContain('hunter2');
    expect(key).not.toContain('alice');
  });

  it('invalidates only the token that was refused', async () => {
    const cache = new QualysTokenCache();
    const source = counter(['old', 'new']);
    await cache.get('k', source.fetch);
    cache.invalidate('k', 'old');
    expect(await cache.get('k', source.fetch)).toBe('new');
    cache.invalidate('k', 'old'); // a late 401 for the old token must not drop the new one
    expect(await cache.get('k', source.fetch)).toBe('new');
    expect(source.calls).toBe(2);
  });
});
