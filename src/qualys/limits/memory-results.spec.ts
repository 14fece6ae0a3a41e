import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { heapAfterGc } from '../../../test/support/heap.js';
import { sleep } from '../../../test/support/timing.js';
import type { CachedSearch } from './limit-stores.js';
import {
  ENTRY_OVERHEAD_BYTES,
  entryHeapBytes,
  MemoryResults,
  stringHeapBytes,
} from './memory-results.js';

const CRED = 'credentials-1';
const TTL_MS = 10_000;
const MIB = 1024 * 1024;
/** Heap a shared Jest worker may allocate for itself during a measurement. */
const WORKER_NOISE_BYTES = 128 * 1024;
const answer = (events: string, pageSize = 100): CachedSearch => ({
  pageSize,
  eventsJson: events,
  fetchedAt: 1_715_677_964_000,
});

/** Ids as StateKeys makes them (43-character base64url HMACs), and a fresh '[]' per answer as read from a socket. */
const id = (text: string): string => createHmac('sha256', 'k').update(text).digest('base64url');
const emptyAnswer = () => answer(Buffer.from('[]').toString('utf8'));

async function fill(results: MemoryResults, count: number, ttlMs: number): Promise<void> {
  const credentialsId = id('credentials');
  for (let i = 0; i < count; i++) {
    await results.set(credentialsId, id(String(i)), emptyAnswer(), ttlMs);
  }
}

describe('MemoryResults (spec §9 result cache in one process)', () => {
  it('returns what was stored, per credential set and search', async () => {
    const results = new MemoryResults(1_000_000, TTL_MS);
    await results.set(CRED, 'search-1', answer('[{"id":"evt-1"}]'), TTL_MS);
    expect(await results.get(CRED, 'search-1')).toEqual(answer('[{"id":"evt-1"}]'));
    expect(await results.get(CRED, 'search-2')).toBeUndefined();
    expect(await results.get('credentials-2', 'search-1')).toBeUndefined();
    results.close();
  });

  it('forgets an entry after its own TTL', async () => {
    const results = new MemoryResults(1_000_000, TTL_MS);
    await results.set(CRED, 'short', answer('[]'), 300);
    await results.set(CRED, 'long', answer('[1]'), TTL_MS);
    await sleep(350);
    expect(await results.get(CRED, 'short')).toBeUndefined();
    expect(await results.get(CRED, 'long')).toEqual(answer('[1]'));
    results.close();
  });

  it('does not store anything when the TTL is 0 (cache disabled)', async () => {
    const results = new MemoryResults(1_000_000, 0);
    await results.set(CRED, 'search-1', answer('[]'), 0);
    expect(await results.get(CRED, 'search-1')).toBeUndefined();
  });

  it('evicts the least recently used answers to stay within the byte bound', async () => {
    // Each entry: 288 of overhead + a 22-character key + 400 bytes of events = 710; three fit in 2200, four do not.
    const results = new MemoryResults(2200, TTL_MS);
    const events = (n: number): string => `[${String(n).repeat(398)}]`;
    for (const n of [1, 2, 3]) await results.set(CRED, `search-${n}`, answer(events(n)), TTL_MS);
    expect(await results.get(CRED, 'search-1')).toEqual(answer(events(1))); // now the most recent
    await results.set(CRED, 'search-4', answer(events(4)), TTL_MS);
    expect(await results.get(CRED, 'search-2')).toBeUndefined();
    expect(await results.get(CRED, 'search-1')).toEqual(answer(events(1)));
    expect(await results.get(CRED, 'search-3')).toEqual(answer(events(3)));
    expect(await results.get(CRED, 'search-4')).toEqual(answer(events(4)));
    results.close();
  });

  it('does not keep an answer larger than the whole bound, nor fail on it', async () => {
    const results = new MemoryResults(100, TTL_MS);
    await expect(
      results.set(CRED, 'big', answer('x'.repeat(200)), TTL_MS),
    ).resolves.toBeUndefined();
    expect(await results.get(CRED, 'big')).toBeUndefined();
    results.close();
  });
});

describe('MemoryResults heap accounting (spec §15)', () => {
  it('counts an entry as its overhead plus the heap its key and answer take', () => {
    const key = `${id('c')} ${id('s')}`;
    expect(entryHeapBytes(key, answer('[]'))).toBe(ENTRY_OVERHEAD_BYTES + 87 + 2);
    // V8 keeps Latin-1 text at one byte per character and anything else at two.
    expect(stringHeapBytes('[{"fileName":"résumé.pdf"}]')).toBe(27);
    expect(stringHeapBytes('[{"fileName":"€.pdf"}]')).toBe(44);
    expect(entryHeapBytes('k', answer('["€"]'))).toBe(ENTRY_OVERHEAD_BYTES + 1 + 10);
  });

  it('counts at least what an entry really holds', async () => {
    const count = 30_000;
    const results = new MemoryResults(1024 * MIB, TTL_MS);
    const before = heapAfterGc();
    await fill(results, count, TTL_MS);
    const perEntry = (heapAfterGc() - before) / count;
    const counted = entryHeapBytes(`${id('c')} ${id('s')}`, answer('[]'));
    expect(perEntry).toBeGreaterThan(counted / 3); // it did measure the entries
    expect(perEntry).toBeLessThanOrEqual(counted);
    results.close();
  });

  it('holds at most QUALYS_CACHE_MAX_MB of heap with 120,000 distinct empty answers', async () => {
    const results = new MemoryResults(4 * MIB, TTL_MS);
    const before = heapAfterGc();
    await fill(results, 120_000, TTL_MS);
    const held = heapAfterGc() - before;
    expect(held).toBeGreaterThan(2 * MIB); // the cache is full, not empty
    // A Jest worker that ran other specs allocates a little of its own meanwhile.
    expect(held).toBeLessThanOrEqual(4 * MIB + WORKER_NOISE_BYTES);
    results.close();
  });

  it('sweeps expired entries without anyone reading them, and stops sweeping once closed', async () => {
    const ttlMs = 200;
    const results = new MemoryResults(64 * MIB, ttlMs);
    const before = heapAfterGc();
    await fill(results, 20_000, ttlMs);
    const full = heapAfterGc() - before;
    expect(full).toBeGreaterThan(4 * MIB);
    await sleep(5 * ttlMs);
    // What stays is lru-cache's slot arrays, which keep their length for the next entries.
    expect(heapAfterGc() - before).toBeLessThan(full / 4);

    results.close();
    await fill(results, 20_000, ttlMs);
    await sleep(5 * ttlMs);
    expect(heapAfterGc() - before).toBeGreaterThan(full / 2); // expired, but nothing swept them
  });
});
