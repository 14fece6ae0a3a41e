import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encryption of cached search answers in Redis (spec §9). Whoever reads
 * Redis (an operator, a backup, another tenant of a shared server) sees
 * neither events nor which observables were searched.
 *
 * * One key per credential set: HKDF-SHA256 of `CACHE_ENCRYPTION_KEY`, salted
 *   with the credentials id, so one set's entries never open under another's.
 * * AES-256-GCM with a fresh random 12-byte IV per value; the associated data
 *   is the format version and the entry's full Redis key, so a value copied
 *   or renamed to another key does not open.
 * * The expiry is inside the plaintext: a value whose Redis TTL was lost
 *   (PERSIST, a restored snapshot) is still refused when it is too old.
 *
 * Stored bytes: version (1) | IV (12) | tag (16) | ciphertext of
 * (expiry ms since the epoch, 8 bytes big-endian | plaintext).
 */
export class ResultCipher {
  static readonly VERSION = 1;
  /** HKDF info: the purpose and the format version, so another format derives another key. */
  static readonly KEY_INFO = 'qualys-relay/result-cache/aes-256-gcm/v1';

  private static readonly IV_BYTES = 12;
  private static readonly TAG_BYTES = 16;
  private static readonly HEADER_BYTES = 1 + ResultCipher.IV_BYTES + ResultCipher.TAG_BYTES;

  constructor(private readonly encryptionKey: string) {}

  seal(credentialsId: string, fullKey: string, plaintext: Buffer, expiresAtMs: number): Buffer {
    const iv = randomBytes(ResultCipher.IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keyFor(credentialsId), iv);
    cipher.setAAD(associatedData(ResultCipher.VERSION, fullKey));
    const expiry = Buffer.alloc(8);
    expiry.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(expiresAtMs))));
    const ciphertext = Buffer.concat([
      cipher.update(expiry),
      cipher.update(plaintext),
      cipher.final(),
    ]);
    return Buffer.concat([Buffer.of(ResultCipher.VERSION), iv, cipher.getAuthTag(), ciphertext]);
  }

  /**
   * The plaintext, or `undefined` for anything that does not open: another
   * version, key, credential set or Redis key, a changed byte, an expired
   * entry. Never throws: a value that does not decrypt is a cache miss.
   */
  open(
    credentialsId: string,
    fullKey: string,
    sealed: Buffer,
    nowMs = Date.now(),
  ): Buffer | undefined {
    if (sealed.length < ResultCipher.HEADER_BYTES + 8 || sealed[0] !== ResultCipher.VERSION)
      return undefined;
    const iv = sealed.subarray(1, 1 + ResultCipher.IV_BYTES);
    const tag = sealed.subarray(1 + ResultCipher.IV_BYTES, ResultCipher.HEADER_BYTES);
    let opened: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.keyFor(credentialsId), iv);
      decipher.setAAD(associatedData(ResultCipher.VERSION, fullKey));
      decipher.setAuthTag(tag);
      opened = Buffer.concat([
        decipher.update(sealed.subarray(ResultCipher.HEADER_BYTES)),
        decipher.final(),
      ]);
    } catch {
      return undefined;
    }
    const expiresAtMs = Number(opened.readBigUInt64BE(0));
    return expiresAtMs > nowMs ? opened.subarray(8) : undefined;
  }

  /** HKDF is a few microseconds: cheaper than keeping an unbounded map of derived keys. */
  private keyFor(credentialsId: string): Buffer {
    return Buffer.from(
      hkdfSync('sha256', this.encryptionKey, credentialsId, ResultCipher.KEY_INFO, 32),
    );
  }
}

function associatedData(version: number, fullKey: string): Buffer {
  return Buffer.concat([Buffer.of(version), Buffer.from(fullKey, 'utf8')]);
}
