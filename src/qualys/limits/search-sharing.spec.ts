import { describe, expect, it } from '@jest/globals';
import { MemoryInflight } from './memory-inflight.js';
import { MemoryResults } from './memory-results.js';
import {
  SearchSharing,
  SharedSearchLeftError,
  type CacheLookup,
  type SearchAnswer,
  type SharingKeys,
} from './search-sharing.js';

const keys = (coalesceKey = 'k10'): SharingKeys => ({
  credentialsId: 'alice',
  cacheKey: 'md5-active',
  coalesceKey,
});

const FETCHED_AT = 1_715_677_964_000;
const answer = (pageSize: number, events: unknown[], fetchedAt = FETCHED_AT): SearchAnswer => ({
  pageSize,
  eventsJson: JSON.stringify(events),
  fetchedAt,
  events,
});

function sharing(ttlMs = 60_000) {
  const lookups: CacheLookup[] = [];
  const shared = new SearchSharing(
    new MemoryResults(1024 * 1024, 0),
    new MemoryInflight(),
    ttlMs,
    (result) => lookups.push(result),
  );
  return { shared, lookups };
}

/**
 * A fetch the test settles by hand (before or after it starts: the store is
 * asked first, so it starts a few ticks later), counting how often it ran and
 * whether it was aborted.
 */
function manualFetch() {
  let calls = 0;
  let signal: AbortSignal | undefined;
  let outcome: { value?: SearchAnswer; error?: Error } | undefined;
  let markSettled: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => (markSettled = resolve));
  const fetch = async (given: AbortSignal) => {
    calls++;
    signal = given;
    await settled;
    if (outcome?.error) throw outcome.error;
    return outcome?.value as SearchAnswer;
  };
  const settle = {
    resolve(value: SearchAnswer) {
      outcome = { value };
      markSettled();
    },
    reject(error: Error) {
      outcome = { error };
      markSettled();
    },
  };
  return {
    fetch,
    get calls() {
      return calls;
    },
    get aborted() {
      return signal?.aborted ?? false;
    },
    resolve: (value: SearchAnswer) => settle.resolve(value),
    reject: (error: Error) => settle.reject(error),
  };
}

describe('SearchSharing (spec §9 coalescing and result cache)', () => {
  it('makes one call for identical searches in flight and caches the answer', async () => {
    const { shared, lookups } = sharing();
    const call = manualFetch();
    const first = shared.share(keys(), undefined, call.fetch, 5000);
    const second = shared.share(keys(), undefined, call.fetch, 5000);
    call.resolve(answer(10, [{ id: 'e1' }, { id: 'e2' }]));
    expect(await Promise.all([first, second])).toEqual([
      answer(10, [{ id: 'e1' }, { id: 'e2' }]),
      answer(10, [{ id: 'e1' }, { id: 'e2' }]),
    ]);
    expect(call.calls).toBe(1);
    // The bytes of the answer's text, for the relay's memory budget (spec §15).
    expect(await shared.cached(keys(), 10)).toEqual({
      events: [{ id: 'e1' }, { id: 'e2' }],
      bytes: '[{"id":"e1"},{"id":"e2"}]'.length,
      fetchedAt: FETCHED_AT,
    });
    expect(lookups).toEqual(['miss', 'coalesced', 'hit']);
  });

  it('serves a smaller page from a larger one, and a larger page only from a complete answer', async () => {
    const { shared } = sharing();
    await shared.share(
      keys(),
      undefined,
      () => Promise.resolve(answer(2, [{ id: 'a' }, { id: 'b' }], 1_000)),
      5000,
    );
    // The cached answer keeps the time Qualys sent it (spec §13), whichever page is served;
    // one of two events is about half the text.
    expect(await shared.cached(keys(), 1)).toEqual({
      events: [{ id: 'a' }],
      bytes: Math.ceil('[{"id":"a"},{"id":"b"}]'.length / 2),
      fetchedAt: 1_000,
    });
    expect(await shared.cached(keys(), 5)).toBeUndefined(); // a full page of 2: there may be more
    await shared.share(
      keys('k5'),
      undefined,
      () => Promise.resolve(answer(5, [{ id: 'a' }], 2_000)),
      5000,
    );
    // 1 of 5: that is all there is
    expect(await shared.cached(keys(), 100)).toEqual({
      events: [{ id: 'a' }],
      bytes: '[{"id":"a"}]'.length,
      fetchedAt: 2_000,
    });
  });

  it('never caches a failure', async () => {
    const { shared } = sharing();
    const failing = manualFetch();
    const first = shared.share(keys(), undefined, failing.fetch, 5000);
    failing.reject(new Error('Qualys said no'));
    await expect(first).rejects.toThrow('Qualys said no');
    expect(await shared.cached(keys(), 10)).toBeUndefined();
    const retried = manualFetch();
    const second = shared.share(keys(), undefined, retried.fetch, 5000);
    retried.resolve(answer(10, []));
    expect(await second).toEqual(answer(10, []));
    expect(retried.calls).toBe(1);
  });

  it('keeps the call for those still waiting when one caller leaves, and aborts it when all have', async () => {
    const { shared } = sharing();
    const call = manualFetch();
    const leaving = new AbortController();
    const staying = new AbortController();
    const left = shared.share(keys(), leaving.signal, call.fetch, 5000);
    const stays = shared.share(keys(), staying.signal, call.fetch, 5000);
    leaving.abort();
    await expect(left).rejects.toBeInstanceOf(SharedSearchLeftError);
    expect(call.aborted).toBe(false);
    staying.abort();
    await expect(stays).rejects.toBeInstanceOf(SharedSearchLeftError);
    expect(call.aborted).toBe(true);
  });

  it('still coalesces with the cache off, and then never reads or writes it', async () => {
    const { shared, lookups } = sharing(0);
    const call = manualFetch();
    const both = Promise.all([
      shared.share(keys(), undefined, call.fetch, 5000),
      shared.share(keys(), undefined, call.fetch, 5000),
    ]);
    call.resolve(answer(10, [{ id: 'x' }]));
    await both;
    expect(call.calls).toBe(1);
    expect(await shared.cached(keys(), 10)).toBeUndefined();
    expect(lookups).toEqual(['miss', 'coalesced']);
  });
});
