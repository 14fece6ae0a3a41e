import { describe, expect, it } from '@jest/globals';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ResultCipher } from './result-cipher.js';

const SECRET = 'a-cache-encryption-key-of-32-chars!!';
const CRED = 'credentials-id-1';
const KEY = 'relay:{c:credentials-id-1}:r:search-1';
const PLAIN = Buffer.from('{"pageSize":100,"eventsJson":"[{\\"id\\":\\"evt-1\\"}]"}');
const NOW = 1_750_000_000_000;
const LATER = NOW + 60_000;

describe('ResultCipher (AES-256-GCM, spec §9)', () => {
  const cipher = new ResultCipher(SECRET);

  it('round-trips a value and stores version | IV | tag | ciphertext without the plaintext', () => {
    const sealed = cipher.seal(CRED, KEY, PLAIN, LATER);
    expect(cipher.open(CRED, KEY, sealed, NOW)).toEqual(PLAIN);
    expect(sealed[0]).toBe(1);
    expect(sealed.length).toBe(1 + 12 + 16 + 8 + PLAIN.length);
    expect(sealed.includes(Buffer.from('evt-1'))).toBe(false);
  });

  it('uses a fresh IV per value', () => {
    const a = cipher.seal(CRED, KEY, PLAIN, LATER);
    const b = cipher.seal(CRED, KEY, PLAIN, LATER);
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('derives the key with HKDF-SHA256 (salt = credentials id) and binds version + full key as associated data', () => {
    const key = Buffer.from(
      hkdfSync('sha256', SECRET, CRED, 'qualys-relay/result-cache/aes-256-gcm/v1', 32),
    );
    const iv = randomBytes(12);
    const gcm = createCipheriv('aes-256-gcm', key, iv);
    gcm.setAAD(Buffer.concat([Buffer.of(1), Buffer.from(KEY)]));
    const expiry = Buffer.alloc(8);
    expiry.writeBigUInt64BE(BigInt(LATER));
    const body = Buffer.concat([gcm.update(Buffer.concat([expiry, PLAIN])), gcm.final()]);
    const handMade = Buffer.concat([Buffer.of(1), iv, gcm.getAuthTag(), body]);
    expect(cipher.open(CRED, KEY, handMade, NOW)).toEqual(PLAIN);
  });

  it('refuses a value moved to another key', () => {
    const sealed = cipher.seal(CRED, KEY, PLAIN, LATER);
    expect(cipher.open(CRED, 'relay:{c:credentials-id-1}:r:search-2', sealed, NOW)).toBeUndefined();
  });

  it('refuses a value with any single byte changed (version, IV, tag, expiry, body)', () => {
    const sealed = cipher.seal(CRED, KEY, PLAIN, LATER);
    for (const index of [0, 1, 12, 13, 28, 29, 36, 37, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index] ^= 0x01;
      expect([index, cipher.open(CRED, KEY, tampered, NOW)]).toEqual([index, undefined]);
    }
  });

  it('refuses another credential set and another CACHE_ENCRYPTION_KEY', () => {
    const sealed = cipher.seal(CRED, KEY, PLAIN, LATER);
    expect(cipher.open('credentials-id-2', KEY, sealed, NOW)).toBeUndefined();
    expect(
      new ResultCipher('another-secret-of-32-characters-xx').open(CRED, KEY, sealed, NOW),
    ).toBeUndefined();
  });

  it('refuses another format version, even with a valid tag for it', () => {
    const sealed = cipher.seal(CRED, KEY, PLAIN, LATER);
    const otherVersion = Buffer.from(sealed);
    otherVersion[0] = 2;
    expect(cipher.open(CRED, KEY, otherVersion, NOW)).toBeUndefined();
  });

  it('refuses an expired value, and short or empty input', () => {
    const sealed = cipher.seal(CRED, KEY, PLAIN, LATER);
    expect(cipher.open(CRED, KEY, sealed, LATER)).toBeUndefined();
    expect(cipher.open(CRED, KEY, sealed, LATER - 1)).toEqual(PLAIN);
    expect(cipher.open(CRED, KEY, Buffer.alloc(0), NOW)).toBeUndefined();
    expect(cipher.open(CRED, KEY, sealed.subarray(0, 36), NOW)).toBeUndefined();
  });
});
