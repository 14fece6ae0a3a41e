/**
 * CTIM transient ids (shared/docs/ctim.md: `transient:<entity>-<uuid>`).
 */
import { randomFillSync } from 'node:crypto';
import { parse as parseUuid, v5 as uuidv5 } from 'uuid';

/**
 * The RFC 4122 X.500 namespace (Python's `uuid.NAMESPACE_X500`): the original
 * relay seeded indicator ids with it, and spec §5 requires the same ids.
 */
export const INDICATOR_ID_NAMESPACE = '6ba7b814-9dad-11d1-80b4-00c04fd430c8';

export type TransientEntity = 'sighting' | 'indicator' | 'judgement' | 'relationship';

/** `transient:<entity>-<random uuid v4>`. */
export function randomTransientId(entity: TransientEntity): string {
  return `transient:${entity}-${randomUuidV4()}`;
}

const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** Entropy for 512 UUIDs, refilled when used up (node's randomUUID caches 128). */
const entropy = Buffer.alloc(16 * 512);
let entropyOffset = entropy.length;
const text = Buffer.alloc(36);

/**
 * An RFC 4122 version 4 UUID, as crypto.randomUUID() makes it, but written
 * into a buffer and read as one string: randomUUID() builds its result from
 * ~20 concatenations, ~600 bytes of garbage per id, and a mapped event needs
 * eight ids or so (bench/, issue #6: most of the mapper's allocation).
 */
export function randomUuidV4(): string {
  if (entropyOffset === entropy.length) {
    randomFillSync(entropy);
    entropyOffset = 0;
  }
  const at = entropyOffset;
  entropyOffset += 16;
  entropy[at + 6] = (entropy[at + 6] & 0x0f) | 0x40; // version 4
  entropy[at + 8] = (entropy[at + 8] & 0x3f) | 0x80; // variant 10xx
  let out = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[out++] = 0x2d; // '-'
    const pair = HEX_PAIRS[entropy[at + i]];
    text[out++] = pair.charCodeAt(0);
    text[out++] = pair.charCodeAt(1);
  }
  return text.toString('latin1');
}

const UTF8 = new TextEncoder();
/** Parsed once: given a string, uuid parses and validates it on every call (~30% of an id). */
const NAMESPACE_BYTES = parseUuid(INDICATOR_ID_NAMESPACE);

/**
 * `transient:<entity>-<uuid v5 of seed in the X.500 namespace>`: the same seed
 * always gives the same id, across requests, replicas and the Python relay
 * (spec §5, Indicator).
 */
export function deterministicTransientId(entity: TransientEntity, seed: string): string {
  // The seed's UTF-8 bytes, as Python's uuid5 hashes them. Passed as bytes
  // because uuid's own string path throws URIError on a lone surrogate, which
  // a Qualys id can carry (JSON allows "\ud83d"); TextEncoder writes it as U+FFFD.
  return `transient:${entity}-${uuidv5(UTF8.encode(seed), NAMESPACE_BYTES)}`;
}
