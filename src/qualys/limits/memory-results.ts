import { LRUCache } from 'lru-cache';
import type { CachedSearch, ResultStore } from './limit-stores.js';

/**
 * What one entry costs the heap beyond the characters of its two strings
 * (the key and the answer): lru-cache's per-entry slots (key, value, size,
 * TTL, start, both links), its Map entry, the value object, the key's
 * cons-string and both strings' headers: 210–250 bytes on Node 20 (heapUsed
 * after gc, 3k to 130k entries; the spread is the growth of lru-cache's
 * arrays and Map), counted with a margin. memory-results.spec.ts measures
 * it and fails if it grows past this.
 */
export const ENTRY_OVERHEAD_BYTES = 288;

/** Stops a periodic sweep from running more often than this, whatever the TTL. */
const MIN_SWEEP_EVERY_MS = 100;
/** An expired entry waits at most this long for a sweep (plus its TTL). */
const MAX_SWEEP_EVERY_MS = 60_000;

/**
 * Heap the characters of a string take: V8 stores one byte per character
 * when all are Latin-1, two otherwise (the test is one linear regex scan).
 */
export function stringHeapBytes(text: string): number {
  // eslint-disable-next-line no-control-regex -- the Latin-1 range starts at U+0000
  return /[^\u0000-\u00ff]/.test(text) ? text.length * 2 : text.length;
}

/** The heap one cache entry holds (spec §15: keys, entries and their overhead). */
export function entryHeapBytes(key: string, value: CachedSearch): number {
  return ENTRY_OVERHEAD_BYTES + stringHeapBytes(key) + stringHeapBytes(value.eventsJson);
}

/**
 * The result cache of one process (spec §9, §15): an LRU bounded by
 * `QUALYS_CACHE_MAX_MB` of the heap it really holds — 120,000 empty answers
 * are mostly overhead, not JSON — with the TTL set per entry. Expired
 * entries are dropped when read, evicted, or swept: every TTL (at most every
 * minute) one `purgeStale()` walks the list, so an entry nobody reads again
 * is gone within twice its TTL. Not lru-cache's `ttlAutopurge`: that keeps a
 * timer per entry, about 100 bytes and a timer-list insertion each, where
 * one walk of a full 32 MiB cache (~90k empty answers) takes about 10 ms a
 * minute, and deleting what expired costs what a read or eviction would.
 */
export class MemoryResults implements ResultStore {
  private readonly cache: LRUCache<string, CachedSearch>;
  private readonly sweeper: NodeJS.Timeout | undefined;

  /** `ttlMs` is the cache's TTL (`QUALYS_CACHE_TTL_SEC`), the sweep's pace; 0 (no cache) sweeps never. */
  constructor(maxBytes: number, ttlMs: number) {
    this.cache = new LRUCache<string, CachedSearch>({
      maxSize: maxBytes,
      sizeCalculation: (value, key) => entryHeapBytes(key, value),
    });
    if (ttlMs > 0) {
      const every = Math.min(MAX_SWEEP_EVERY_MS, Math.max(MIN_SWEEP_EVERY_MS, ttlMs));
      this.sweeper = setInterval(() => this.cache.purgeStale(), every);
      this.sweeper.unref();
    }
  }

  get(credentialsId: string, cacheKey: string): Promise<CachedSearch | undefined> {
    return Promise.resolve(this.cache.get(entryKey(credentialsId, cacheKey)));
  }

  /** An answer larger than the whole cache is not kept (`lru-cache` refuses it). */
  set(credentialsId: string, cacheKey: string, value: CachedSearch, ttlMs: number): Promise<void> {
    if (ttlMs > 0) this.cache.set(entryKey(credentialsId, cacheKey), value, { ttl: ttlMs });
    return Promise.resolve();
  }

  /** Stops the sweep (on shutdown). */
  close(): void {
    clearInterval(this.sweeper);
  }
}

/** Both ids are base64url HMACs: a space never occurs in them. */
function entryKey(credentialsId: string, cacheKey: string): string {
  return `${credentialsId} ${cacheKey}`;
}
