/**
 * CTIM transient ids (shared/docs/ctim.md: `transient:<entity>-<uuid>`).
 */
import { randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';

/**
 * The RFC 4122 X.500 namespace (Python's `uuid.NAMESPACE_X500`): the original
 * relay seeded indicator ids with it, and spec §5 requires the same ids.
 */
export const INDICATOR_ID_NAMESPACE = '6ba7b814-9dad-11d1-80b4-00c04fd430c8';

export type TransientEntity = 'sighting' | 'indicator' | 'judgement' | 'relationship';

/** `transient:<entity>-<random uuid v4>`. */
export function randomTransientId(entity: TransientEntity): string {
  return `transient:${entity}-${randomUUID()}`;
}

const UTF8 = new TextEncoder();

/**
 * `transient:<entity>-<uuid v5 of seed in the X.500 namespace>`: the same seed
 * always gives the same id, across requests, replicas and the Python relay
 * (spec §5, Indicator).
 */
export function deterministicTransientId(entity: TransientEntity, seed: string): string {
  // The seed's UTF-8 bytes, as Python's uuid5 hashes them. Passed as bytes
  // because uuid's own string path throws URIError on a lone surrogate, which
  // a Qualys id can carry (JSON allows "\ud83d"); TextEncoder writes it as U+FFFD.
  return `transient:${entity}-${uuidv5(UTF8.encode(seed), INDICATOR_ID_NAMESPACE)}`;
}
