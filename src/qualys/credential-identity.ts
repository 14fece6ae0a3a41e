import { createHash } from 'node:crypto';

/**
 * One identity for a set of Qualys credentials, whoever keys by it: the
 * token cache hashes it, the shared-state keys (limits/state-keys.ts) take
 * a keyed HMAC of it. Both see the same parts in the same unambiguous
 * bytes, so "the same credentials" means one thing in the relay.
 */

/** The parts that name a subscription: what Qualys limits (slots and budget, spec §9). */
export function subscriptionParts(apiUrl: string, user: string): string[] {
  return ['subscription', normaliseApiUrl(apiUrl), user];
}

/** The parts that name a credential set: what may see data (token, cache, coalescing). */
export function credentialsParts(apiUrl: string, user: string, password: string): string[] {
  return ['credentials', normaliseApiUrl(apiUrl), user, password];
}

/** The bytes of `parts`, each length-prefixed, so no two part lists give the same bytes. */
export function identityBytes(parts: ReadonlyArray<string | undefined>): Buffer {
  return Buffer.concat(parts.map(lengthPrefixed));
}

/** SHA-256 (base64url) of a credential set's identity: a map key that holds no password. */
export function credentialsDigest(apiUrl: string, user: string, password: string): string {
  return createHash('sha256')
    .update(identityBytes(credentialsParts(apiUrl, user, password)))
    .digest('base64url');
}

const UNDEFINED_PART = 0xffffffff;
/** In `u` mode a surrogate pair is one code point: this matches only a lone half. */
const LONE_SURROGATE = /\p{Surrogate}/u;
/** Set in the length of a part written as UTF-16 (one with a lone surrogate). */
const UTF16_PART = 0x80000000;

/**
 * A 4-byte big-endian length, then the UTF-8 bytes; `undefined` is the
 * length 0xFFFFFFFF alone, unlike ''. UTF-8 would turn every lone surrogate
 * into U+FFFD (two passwords, one identity), so a part holding one is
 * written as UTF-16 code units, its length marked with the top bit.
 */
function lengthPrefixed(part: string | undefined): Buffer {
  const header = Buffer.alloc(4);
  if (part === undefined) {
    header.writeUInt32BE(UNDEFINED_PART);
    return header;
  }
  const wellFormed = !LONE_SURROGATE.test(part);
  const bytes = Buffer.from(part, wellFormed ? 'utf8' : 'utf16le');
  header.writeUInt32BE(wellFormed ? bytes.length : (UTF16_PART | bytes.length) >>> 0);
  return Buffer.concat([header, bytes]);
}

/**
 * Spec §9 keys subscriptions by the normalised API URL: scheme and host in
 * lower case, default port dropped, no trailing slash. The relay context
 * already normalises it; doing it again here is idempotent and keeps one
 * subscription one identity whatever the caller passes.
 */
function normaliseApiUrl(apiUrl: string): string {
  try {
    const url = new URL(apiUrl);
    return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  } catch {
    return apiUrl;
  }
}
