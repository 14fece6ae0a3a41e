import { afterEach, describe, expect, it } from '@jest/globals';
import { TEST_RELAY_CONTEXT } from '../../test/support/test-relay-context.js';
import type { SupportedObservable } from '../common/observable.js';
import { ErrorCode, RelayError } from '../common/relay-error.js';
import type { BatchAnswer, BatchSearch, StateOutcome } from './batching/batch-search-port.js';
import { InFlightObservables } from './batching/in-flight-observables.js';
import { LearnedBatchSizes } from './batching/learned-batch-sizes.js';
import { RelayRequestScope, SearchDeadlineError } from './limits/relay-request-scope.js';
import { ObservableSearches, type BatchingShared } from './observable-searches.js';
import type { QualysClient } from './qualys.client.js';
import type { QualysEvent } from './qualys-event.js';
import type { SearchResult } from './search-options.js';

const MD5_A = 'a'.repeat(32);
const MD5_B = 'b'.repeat(32);
const MD5_C = 'c'.repeat(32);
const md5 = (value: string): SupportedObservable => ({ type: 'md5', value });
const event = (id: string, value: string): QualysEvent => ({ id, file: { md5: value } });

/** The client as the searches use it: a cache, the searches it was asked for, what it cached. */
class FakeClient {
  readonly searches: BatchSearch[] = [];
  readonly stored: { filter: string; active: boolean; events: readonly QualysEvent[] }[] = [];
  cache = new Map<string, SearchResult>();
  lookupError: Error | undefined;
  cacheEnabled = true;

  constructor(private readonly events: readonly QualysEvent[]) {}

  idsOf() {
    return { subscriptionId: 'subscription', credentialsId: 'credentials' };
  }

  cachedSearch(_context: unknown, options: { filter?: string; active: boolean }) {
    if (this.lookupError !== undefined) return Promise.reject(this.lookupError);
    return Promise.resolve(this.cache.get(`${options.active}:${options.filter}`));
  }

  searchBatch(_context: unknown, search: BatchSearch): Promise<BatchAnswer> {
    this.searches.push(search);
    const values = [...search.filter.matchAll(/"([^"]+)"/g)].map((match) => match[1]);
    const events = search.active
      ? this.events.filter((found) => values.includes(String(found.file?.md5)))
      : [];
    return Promise.resolve({ kind: 'events', events, fetchedAt: 1000, bytes: 10 * events.length });
  }

  cacheSettled(
    _context: unknown,
    search: { filter: string; active: boolean },
    events: readonly QualysEvent[],
  ) {
    this.stored.push({ filter: search.filter, active: search.active, events });
    return Promise.resolve();
  }
}

const shared = (batchSize: number): BatchingShared => ({
  batchSize,
  learned: new LearnedBatchSizes(),
  inFlight: new InFlightObservables(),
  hooks: () => ({}),
});

let request: RelayRequestScope | undefined;
afterEach(() => {
  request?.end();
  request = undefined;
});

async function run(
  client: FakeClient,
  observables: SupportedObservable[],
  batchSize = 20,
  before?: (searches: ObservableSearches) => void,
) {
  request = new RelayRequestScope(5000);
  const outcomes: [number, boolean, StateOutcome['kind'], number][] = [];
  const searches = new ObservableSearches(
    client as unknown as QualysClient,
    TEST_RELAY_CONTEXT,
    observables,
    {
      request,
      finished: (index, active, outcome) =>
        outcomes.push([
          index,
          active,
          outcome.kind,
          outcome.kind === 'settled' ? outcome.events.length : -1,
        ]),
      endsObservable: (error) => !(error instanceof SearchDeadlineError),
      signalOf: () => new AbortController().signal,
    },
    shared(batchSize),
  );
  before?.(searches);
  await searches.run();
  return outcomes.sort((a, b) => a[0] - b[0] || Number(b[1]) - Number(a[1]));
}

describe('ObservableSearches (spec §12)', () => {
  it('batches what the cache does not hold, ends every state once and caches what the batch settled', async () => {
    const client = new FakeClient([event('1', MD5_B)]);
    client.cache.set(`true:file.hash.md5: "${MD5_A}"`, {
      events: [event('0', MD5_A)],
      bytes: 5,
      fetchedAt: 1,
    });
    const outcomes = await run(client, [md5(MD5_A), md5(MD5_B), md5(MD5_C)]);
    expect(outcomes).toEqual([
      [0, true, 'settled', 1],
      [0, false, 'settled', 0],
      [1, true, 'settled', 1],
      [1, false, 'settled', 0],
      [2, true, 'settled', 0],
      [2, false, 'settled', 0],
    ]);
    // One batch per state; the cached active state of A is not searched again.
    expect(client.searches.map(({ active, observables }) => [active, observables]).sort()).toEqual([
      [false, 3],
      [true, 2],
    ]);
    expect(client.stored.map(({ filter, active, events }) => [filter, active, events])).toEqual(
      expect.arrayContaining([
        [`file.hash.md5: "${MD5_B}"`, true, [event('1', MD5_B)]],
        [`file.hash.md5: "${MD5_C}"`, true, []],
        [`file.hash.md5: "${MD5_A}"`, false, []],
      ]),
    );
    expect(client.stored).toHaveLength(5);
  });

  it('searches each observable alone with batching off', async () => {
    const client = new FakeClient([]);
    await run(client, [md5(MD5_A), md5(MD5_B)], 1);
    expect(client.searches.map(({ observables }) => observables)).toEqual([1, 1, 1, 1]);
    expect(client.stored).toEqual([]);
  });

  it('fails both states of every observable with the error of the lookup, and searches nothing', async () => {
    const client = new FakeClient([]);
    const wrongPassword = new RelayError(ErrorCode.AUTHORIZATION, 'wrong password');
    client.lookupError = wrongPassword;
    client.cache.set('unused', { events: [], bytes: 0, fetchedAt: 0 });
    const outcomes = await run(client, [md5(MD5_A), md5(MD5_B)]);
    expect(outcomes).toEqual([
      [0, true, 'failed', -1],
      [0, false, 'failed', -1],
      [1, true, 'failed', -1],
      [1, false, 'failed', -1],
    ]);
    expect(client.searches).toEqual([]);
  });

  it('looks nothing up with the cache off', async () => {
    const client = new FakeClient([]);
    client.cacheEnabled = false;
    client.lookupError = new Error('a lookup with the cache off');
    const outcomes = await run(client, [md5(MD5_A)]);
    expect(outcomes).toEqual([
      [0, true, 'settled', 0],
      [0, false, 'settled', 0],
    ]);
    expect(client.searches.map(({ observables }) => observables)).toEqual([1, 1]);
  });

  it('never searches an observable left out before the searches started', async () => {
    const client = new FakeClient([]);
    const outcomes = await run(client, [md5(MD5_A), md5(MD5_B)], 20, (searches) =>
      searches.abandon(1, new Error('left out')),
    );
    expect(client.searches.map(({ observables, filter }) => [observables, filter])).toEqual([
      [1, `file.hash.md5: "${MD5_A}"`],
      [1, `file.hash.md5: "${MD5_A}"`],
    ]);
    expect(outcomes.filter(([index]) => index === 1).map(([, , kind]) => kind)).toEqual([
      'failed',
      'failed',
    ]);
  });
});
