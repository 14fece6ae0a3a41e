import { LRUCache } from 'lru-cache';
import type { CachedSearch, ResultStore } from './limit-stores.js';

/**
 * The result cache of one process (spec §9): an LRU bounded by
 * `QUALYS_CACHE_MAX_MB`, counting the serialized size of the answers, with
 * the TTL set per entry. Expired entries are dropped when read or evicted;
 * no timer runs.
 */
export class MemoryResults implements ResultStore {
  private readonly cache: LRUCache<string, CachedSearch>;

  constructor(maxBytes: number) {
    this.cache = new LRUCache<string, CachedSearch>({
      maxSize: maxBytes,
      // The answer as Qualys sent it plus the key: what this entry really holds.
      sizeCalculation: (value, key) =>
        Math.max(1, Buffer.byteLength(value.eventsJson) + key.length),
    });
  }

  get(credentialsId: string, searchId: string): Promise<CachedSearch | undefined> {
    return Promise.resolve(this.cache.get(entryKey(credentialsId, searchId)));
  }

  /** An answer larger than the whole cache is not kept (`lru-cache` refuses it). */
  set(credentialsId: string, searchId: string, value: CachedSearch, ttlMs: number): Promise<void> {
    if (ttlMs > 0) this.cache.set(entryKey(credentialsId, searchId), value, { ttl: ttlMs });
    return Promise.resolve();
  }
}

/** Both ids are base64url HMACs: a space never occurs in them. */
function entryKey(credentialsId: string, searchId: string): string {
  return `${credentialsId} ${searchId}`;
}
