import { describe, expect, it } from '@jest/globals';
import { sleep } from '../../../test/support/timing.js';
import type { CachedSearch } from './limit-stores.js';
import { MemoryResults } from './memory-results.js';

const CRED = 'credentials-1';
const answer = (events: string, pageSize = 100): CachedSearch => ({
  pageSize,
  eventsJson: events,
  fetchedAt: 1_715_677_964_000,
});

describe('MemoryResults (spec §9 result cache in one process)', () => {
  it('returns what was stored, per credential set and search', async () => {
    const results = new MemoryResults(1_000_000);
    await results.set(CRED, 'search-1', answer('[{"id":"evt-1"}]'), 10_000);
    expect(await results.get(CRED, 'search-1')).toEqual(answer('[{"id":"evt-1"}]'));
    expect(await results.get(CRED, 'search-2')).toBeUndefined();
    expect(await results.get('credentials-2', 'search-1')).toBeUndefined();
  });

  it('forgets an entry after its own TTL', async () => {
    const results = new MemoryResults(1_000_000);
    await results.set(CRED, 'short', answer('[]'), 300);
    await results.set(CRED, 'long', answer('[1]'), 10_000);
    await sleep(350);
    expect(await results.get(CRED, 'short')).toBeUndefined();
    expect(await results.get(CRED, 'long')).toEqual(answer('[1]'));
  });

  it('does not store anything when the TTL is 0 (cache disabled)', async () => {
    const results = new MemoryResults(1_000_000);
    await results.set(CRED, 'search-1', answer('[]'), 0);
    expect(await results.get(CRED, 'search-1')).toBeUndefined();
  });

  it('evicts the least recently used answers to stay within the byte bound', async () => {
    // Each entry: 400 bytes of events + a 22-character key = 422; three fit in 1300, four do not.
    const results = new MemoryResults(1300);
    const events = (n: number): string => `[${String(n).repeat(398)}]`;
    for (const n of [1, 2, 3]) await results.set(CRED, `search-${n}`, answer(events(n)), 10_000);
    expect(await results.get(CRED, 'search-1')).toEqual(answer(events(1))); // now the most recent
    await results.set(CRED, 'search-4', answer(events(4)), 10_000);
    expect(await results.get(CRED, 'search-2')).toBeUndefined();
    expect(await results.get(CRED, 'search-1')).toEqual(answer(events(1)));
    expect(await results.get(CRED, 'search-3')).toEqual(answer(events(3)));
    expect(await results.get(CRED, 'search-4')).toEqual(answer(events(4)));
  });

  it('does not keep an answer larger than the whole bound, nor fail on it', async () => {
    const results = new MemoryResults(100);
    await expect(
      results.set(CRED, 'big', answer('x'.repeat(200)), 10_000),
    ).resolves.toBeUndefined();
    expect(await results.get(CRED, 'big')).toBeUndefined();
  });
});
