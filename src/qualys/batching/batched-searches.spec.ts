import { describe, expect, it } from '@jest/globals';
import type { SupportedObservable } from '../../common/observable.js';
import { ErrorCode, RelayError } from '../../common/relay-error.js';
import type { QualysEvent } from '../qualys-event.js';
import { FakeBatchQualys, type FakeEvent } from '../../../test/support/fake-batch-qualys.js';
import type {
  BatchAnswer,
  BatchLogLine,
  BatchSearch,
  BatchSearchPort,
  ObservableToSearch,
  StateOutcome,
} from './batch-search-port.js';
import type { BatchedSearchOptions } from './batch-search-port.js';
import { BatchedSearches } from './batched-searches.js';
import { InFlightObservables } from './in-flight-observables.js';
import { batchFilter, encodedFilterLength } from './batch-filter.js';
import { buildSearchFilter } from '../search-filter.js';
import { LearnedBatchSizes } from './learned-batch-sizes.js';

const hex = (n: number, length: number): string => n.toString(16).padStart(length, '0');
const sha = (n: number): SupportedObservable => ({ type: 'sha256', value: hex(n, 64) });
const md5 = (n: number): SupportedObservable => ({ type: 'md5', value: hex(n, 32) });
const ip = (value: string): SupportedObservable => ({ type: 'ip', value });
const domain = (n: number): SupportedObservable => ({ type: 'domain', value: `host${n}.example` });

let nextId = 0;
function fileEvent(
  active: boolean,
  file: Record<string, unknown>,
  extra: QualysEvent = {},
): FakeEvent {
  return { active, event: { id: `e${nextId++}`, type: 'FILE', file, ...extra } };
}
function shaEvents(n: number, count: number, active: boolean): FakeEvent[] {
  return Array.from({ length: count }, () => fileEvent(active, { sha256: hex(n, 64) }));
}

/** The shape of every search sent: state, observables, page size. */
const shapes = (fake: FakeBatchQualys): [boolean, number, number][] =>
  fake.searches.map((search) => [search.active, search.observables, search.pageSize]);

const ids = (outcome: StateOutcome | undefined): unknown =>
  outcome?.kind === 'settled' ? outcome.events.map((event) => event.id) : outcome;

async function run(
  fake: BatchSearchPort,
  observables: readonly (SupportedObservable | ObservableToSearch)[],
  options: Partial<BatchedSearchOptions> = {},
) {
  const wanted = observables.map((o) => ('observable' in o ? o : { observable: o }));
  return new BatchedSearches(wanted, { port: fake, limit: 2, batchSize: 20, ...options }).run();
}

describe('BatchedSearches (spec §12)', () => {
  it('asks about 40 unseen hashes in one search per state and 2,000 characters', async () => {
    const fake = new FakeBatchQualys([]);
    const hashes = Array.from({ length: 40 }, (_, n) => md5(n));
    const results = await run(fake, hashes, { limit: 100 });
    expect(shapes(fake)).toEqual([
      [true, 20, 1000],
      [false, 20, 1000],
      [true, 20, 1000],
      [false, 20, 1000],
    ]);
    expect(results.every((r) => r.active?.kind === 'settled' && r.active.events.length === 0)).toBe(
      true,
    );
    expect(results[39]).toEqual({
      active: { kind: 'settled', events: [], fetchedAt: fake.fetchedAt, bytes: 0, by: 'batch' },
      historical: { kind: 'settled', events: [], fetchedAt: fake.fetchedAt, bytes: 0, by: 'batch' },
    });
  });

  it('asks about a 35-observable investigation with a few exact hits in 4 searches', async () => {
    const observables = [
      ...Array.from({ length: 10 }, (_, n) => sha(n)),
      ...Array.from({ length: 5 }, (_, n) => md5(n)),
      ...Array.from({ length: 5 }, (_, n) => ip(`192.0.2.${n + 1}`)),
      ...Array.from({ length: 10 }, (_, n) => domain(n)),
      ...Array.from({ length: 5 }, (_, n): SupportedObservable => ({
        type: 'file_name',
        value: `tool${n}.exe`,
      })),
    ];
    const events: FakeEvent[] = [
      ...shaEvents(3, 2, true),
      fileEvent(false, { md5: hex(2, 32) }),
      { active: true, event: { id: 'n1', network: { localIP: '192.0.2.4' } } },
      { active: false, event: { id: 'n2', network: { remoteIP: '192.0.2.4' } } },
    ];
    const fake = new FakeBatchQualys(events);
    const results = await run(fake, observables, { limit: 100 });
    // Exact: the 20 fit one batch per state (1,972 characters); contains: one probe per state.
    expect(fake.searches.map((search) => encodedFilterLength(search.filter))[0]).toBe(1972);
    expect(shapes(fake)).toEqual([
      [true, 20, 1000],
      [false, 20, 1000],
      [true, 15, 1],
      [false, 15, 1],
    ]);
    expect(
      results
        .map((r) => [ids(r.active), ids(r.historical)])
        .filter((found) => JSON.stringify(found) !== '[[],[]]'),
    ).toEqual([
      [events.slice(0, 2).map(({ event }) => event.id), []],
      [[], [events[2].event.id]],
      [['n1'], ['n2']],
    ]);
  });

  it('searches each alone with batch size 1, as the relay did before batching', async () => {
    const fake = new FakeBatchQualys(shaEvents(1, 1, true));
    const results = await run(fake, [sha(1), sha(2)], { batchSize: 1 });
    expect(shapes(fake)).toEqual([
      [true, 1, 2],
      [false, 1, 2],
      [true, 1, 2],
      [false, 1, 2],
    ]);
    expect(results.map((r) => [ids(r.active), ids(r.historical)])).toEqual([
      [['e' + (nextId - 1)], []],
      [[], []],
    ]);
  });

  it('settles from a complete answer, caching each settled observable as its own search', async () => {
    const events = [...shaEvents(1, 2, true), ...shaEvents(2, 1, true), ...shaEvents(1, 1, false)];
    const fake = new FakeBatchQualys(events);
    const cached: unknown[] = [];
    const settledBy: string[] = [];
    const results = await run(fake, [sha(1), sha(2), sha(3)], {
      hooks: {
        settledByBatch: (observable, active, found) =>
          cached.push([observable.value.slice(-1), active, found.map((event) => event.id)]),
        observableSettled: (by) => settledBy.push(by),
      },
    });
    const [a1, a2, b1, h1] = events.map(({ event }) => event.id);
    expect(shapes(fake)).toEqual([
      [true, 3, 6],
      [false, 3, 6],
    ]);
    expect(results.map((r) => [ids(r.active), ids(r.historical)])).toEqual([
      [[a1, a2], [h1]],
      [[b1], []],
      [[], []],
    ]);
    expect(cached).toEqual([
      ['1', true, [a1, a2]],
      ['2', true, [b1]],
      ['3', true, []],
      ['1', false, [h1]],
      ['2', false, []],
      ['3', false, []],
    ]);
    expect(settledBy).toEqual(Array(6).fill('batch'));
    const active = results[0].active as Extract<StateOutcome, { kind: 'settled' }>;
    const answerBytes = JSON.stringify(events.slice(0, 3).map(({ event }) => event)).length;
    expect(active.bytes).toBe(Math.ceil((answerBytes * 2) / 3));
  });

  it('searches alone the active state of an observable with more than L events, then settles its historical one', async () => {
    const events = [...shaEvents(1, 3, true), ...shaEvents(1, 2, false), ...shaEvents(2, 1, false)];
    const fake = new FakeBatchQualys(events);
    const results = await run(fake, [sha(1), sha(2)]);
    // a = 3 > L: alone; its own search gives L = 2 events, so a ≥ L settles its historical state.
    expect(shapes(fake)).toEqual([
      [true, 2, 4],
      [false, 2, 4],
      [true, 1, 2],
    ]);
    expect(results[0].active).toMatchObject({ kind: 'settled', by: 'own-search' });
    expect(results.map((r) => [ids(r.active), ids(r.historical)])).toEqual([
      [
        events.slice(0, 2).map(({ event }) => event.id),
        events.slice(3, 5).map(({ event }) => event.id),
      ],
      [[], [events[5].event.id]],
    ]);
  });

  it('searches the historical state alone when a < L < a + h', async () => {
    const events = [...shaEvents(1, 1, true), ...shaEvents(1, 2, false), ...shaEvents(2, 1, true)];
    const fake = new FakeBatchQualys(events);
    const results = await run(fake, [sha(1), sha(2)]);
    expect(shapes(fake)).toEqual([
      [true, 2, 4],
      [false, 2, 4],
      [false, 1, 2],
    ]);
    expect(results[0].historical).toMatchObject({ kind: 'settled', by: 'own-search' });
    expect(results[1].historical).toMatchObject({ kind: 'settled', events: [], by: 'batch' });
  });

  it('does not settle an observable whose value an event of another carries', async () => {
    const other = hex(2, 64).toUpperCase().replace(/0/g, '0');
    const events = [
      fileEvent(true, { sha256: hex(1, 64) }, { indicator2: [{ sha256: `A${other.slice(1)}` }] }),
    ];
    const carried = { type: 'sha256' as const, value: `a${other.slice(1)}`.toLowerCase() };
    const fake = new FakeBatchQualys(events);
    await run(fake, [sha(1), carried]);
    expect(shapes(fake)).toEqual([
      [true, 2, 4],
      [false, 2, 4],
      [true, 1, 2],
    ]);
    expect(fake.searches[2].filter).toBe(`file.hash.sha256: "${carried.value}"`);
  });

  it('searches alone what an upper-case copy of its hash leaves unsettled', async () => {
    const value = `ab${hex(1, 62)}`;
    const events = [
      fileEvent(true, { sha256: value }),
      fileEvent(true, { sha256: value.toUpperCase() }),
    ];
    const fake = new FakeBatchQualys(events, 'lenient');
    const results = await run(fake, [{ type: 'sha256', value }, sha(2)]);
    // The upper-case copy matches no observable: each alone, and Qualys's own answer decides.
    expect(shapes(fake)).toEqual([
      [true, 2, 4],
      [false, 2, 4],
      [true, 1, 2],
      [true, 1, 2],
    ]);
    expect(ids(results[0].active)).toEqual(events.map(({ event }) => event.id));
  });

  it('re-batches the rest of a full answer and sends the observables with ≥ L events alone', async () => {
    const events = [...shaEvents(1, 5, true), ...shaEvents(2, 1, true), ...shaEvents(3, 1, true)];
    const fake = new FakeBatchQualys(events);
    const lines: BatchLogLine[] = [];
    const outcomes: string[] = [];
    const results = await run(fake, [sha(1), sha(2), sha(3)], {
      hooks: { debug: (line) => lines.push(line), batchAnswered: (o) => outcomes.push(o) },
    });
    expect(shapes(fake)).toEqual([
      [true, 3, 6],
      [false, 3, 6],
      [true, 1, 2],
      [true, 2, 4],
    ]);
    expect(results.map((r) => (r.active as { events: unknown[] }).events.length)).toEqual([
      2, 1, 1,
    ]);
    expect(outcomes).toEqual(['split', 'settled', 'settled']);
    expect(lines[0]).toEqual({
      kind: 'exact',
      active: true,
      observables: 3,
      pageSize: 6,
      events: 6,
      outcome: 'split',
      settled: 0,
      alone: 1,
      rebatched: 2,
    });
  });

  it('splits in halves an answer too large to read, as a full one in which no observable has L events', async () => {
    const events = [1, 2, 3, 4].flatMap((n) => shaEvents(n, 1, true));
    const fake = new FakeBatchQualys(events);
    fake.maxAnswerEvents = 3;
    await run(fake, [sha(1), sha(2), sha(3), sha(4)], { limit: 1 });
    // Too large: halves; each half's answer is full, and each observable has L events of it.
    expect(shapes(fake)).toEqual([
      [true, 4, 4],
      [false, 4, 4],
      [true, 2, 2],
      [true, 2, 2],
      ...Array.from({ length: 4 }, (): [boolean, number, number] => [true, 1, 1]),
    ]);
    const big = new FakeBatchQualys(events);
    big.maxAnswerEvents = 1;
    await run(big, [sha(1), sha(2), sha(3), sha(4)], { limit: 5, batchSize: 4 });
    expect(shapes(big)).toEqual([
      [true, 4, 20],
      [false, 4, 20],
      [true, 2, 10],
      [true, 2, 10],
      [true, 1, 5],
      [true, 1, 5],
      [true, 1, 5],
      [true, 1, 5],
    ]);
  });

  it('searches each alone after an answer with an event it cannot attribute, and says so', async () => {
    const events = [
      fileEvent(true, { sha256: hex(9, 64) }, { indicator2: [{ sha256: hex(1, 64) }] }),
    ];
    const fake = new FakeBatchQualys(events, 'lenient');
    const unmatched: unknown[] = [];
    const results = await run(fake, [sha(1), sha(2)], {
      hooks: { unmatchedEvents: (type) => unmatched.push(type) },
    });
    expect(shapes(fake)).toEqual([
      [true, 2, 4],
      [false, 2, 4],
      [true, 1, 2],
      [true, 1, 2],
    ]);
    expect(unmatched).toEqual(['FILE']);
    expect([ids(results[0].active), ids(results[1].active)]).toEqual([[events[0].event.id], []]);
  });

  it('probes contains observables: empty settles, non-empty of > 8 halves, of ≤ 8 each alone', async () => {
    const events: FakeEvent[] = [
      { active: true, event: { id: 'd3', network: { remoteDns: 'www.host3.example' } } },
    ];
    const fake = new FakeBatchQualys(events);
    const domains = Array.from({ length: 10 }, (_, n) => domain(n));
    const results = await run(fake, domains);
    expect(shapes(fake)).toEqual([
      [true, 10, 1],
      [false, 10, 1],
      [true, 5, 1],
      [true, 5, 1],
      ...Array.from({ length: 5 }, (): [boolean, number, number] => [true, 1, 2]),
    ]);
    expect(results.map((r) => ids(r.active))).toEqual(
      domains.map((_, n) => (n === 3 ? ['d3'] : [])),
    );
  });

  it('splits a refused batch in halves and, once they answer, lowers the batch size for an hour', async () => {
    const learned = new LearnedBatchSizes(() => 0);
    const fake = new FakeBatchQualys([]);
    fake.maxFilterLength = 900;
    const hashes = Array.from({ length: 12 }, (_, n) => sha(n));
    const outcomes: string[] = [];
    const options = {
      learned: { sizes: learned, subscriptionId: 'sub' },
      hooks: { batchAnswered: (outcome: string) => outcomes.push(outcome) },
    };
    await run(fake, hashes, options);
    expect(shapes(fake).filter(([active]) => active)).toEqual([
      [true, 12, 24],
      [true, 6, 12],
      [true, 6, 12],
    ]);
    expect(outcomes.filter((o) => o === 'refused')).toHaveLength(2);
    expect(learned.sizeFor('sub', 20)).toBe(6);
    fake.searches.length = 0;
    await run(fake, hashes, options);
    expect(shapes(fake)).toEqual([
      [true, 6, 12],
      [false, 6, 12],
      [true, 6, 12],
      [false, 6, 12],
    ]);
  });

  it('takes a single observable refused with 400 as nothing found', async () => {
    const fake = new FakeBatchQualys(shaEvents(1, 1, true));
    fake.maxFilterLength = 10;
    const results = await run(fake, [sha(1), sha(2)]);
    expect(shapes(fake).filter(([active]) => active)).toEqual([
      [true, 2, 4],
      [true, 1, 2],
      [true, 1, 2],
    ]);
    expect(results[0].active).toMatchObject({ kind: 'settled', events: [], by: 'own-search' });
  });

  it("makes a batch's error the error of each of its observables", async () => {
    const fake = new FakeBatchQualys([]);
    const error = new RelayError(ErrorCode.SERVICE_UNAVAILABLE, 'down');
    fake.failWith = (search) => (search.active ? error : undefined);
    const lines: BatchLogLine[] = [];
    const results = await run(fake, [sha(1), sha(2)], { hooks: { debug: (l) => lines.push(l) } });
    expect(results).toEqual([
      {
        active: { kind: 'failed', error },
        historical: expect.objectContaining({ kind: 'settled' }),
      },
      {
        active: { kind: 'failed', error },
        historical: expect.objectContaining({ kind: 'settled' }),
      },
    ]);
    expect(lines[0]).toMatchObject({ outcome: 'failed', observables: 2 });
  });

  it('starts no further search for an observable a hard failure ended', async () => {
    const events = [...shaEvents(1, 1, true), ...shaEvents(1, 3, false), ...shaEvents(2, 1, true)];
    const fake = new FakeBatchQualys(events);
    const error = new RelayError(ErrorCode.PERMISSION_DENIED, 'no');
    // The active batch fails; sha(1)'s historical answer (h = 3 > L) would need its own search.
    fake.failWith = (search) => (search.active ? error : undefined);
    const results = await run(fake, [sha(1), sha(2)], { endsObservable: () => true });
    expect(shapes(fake)).toEqual([
      [true, 2, 4],
      [false, 2, 4],
    ]);
    expect(results[0]).toEqual({
      active: { kind: 'failed', error },
      historical: { kind: 'failed', error },
    });
  });

  it('searches alone the values that do not parse and observables equal to another', async () => {
    const fake = new FakeBatchQualys([]);
    const upper = { type: 'sha256' as const, value: `AB${hex(0, 62)}` };
    const lower = { type: 'sha256' as const, value: `ab${hex(0, 62)}` };
    const mapped = ip('::ffff:10.0.0.1');
    await run(fake, [upper, sha(1), lower, ip('nonsense'), mapped, sha(2)]);
    expect(fake.searches.filter((s) => s.active).map((s) => [s.observables, s.filter])).toEqual([
      [1, buildSearchFilter(upper)],
      [3, batchFilter([sha(1), mapped, sha(2)])],
      [1, buildSearchFilter(lower)],
      [1, buildSearchFilter(ip('nonsense'))],
    ]);
  });

  it('skips states answered from the cache, using the cached active count for historical settling', async () => {
    const events = [...shaEvents(1, 1, false), ...shaEvents(2, 2, false)];
    const fake = new FakeBatchQualys(events);
    const results = await run(fake, [
      { observable: sha(1), searchActive: false, cachedActiveEvents: 2 },
      { observable: sha(2), searchActive: false, cachedActiveEvents: 1 },
    ]);
    // a = 2 ≥ L settles sha(1); a + h = 3 > L sends sha(2) alone.
    expect(shapes(fake)).toEqual([
      [false, 2, 4],
      [false, 1, 2],
    ]);
    expect(results[0]).toEqual({
      historical: expect.objectContaining({ kind: 'settled', by: 'batch' }),
    });
    expect(results[1].historical).toMatchObject({ kind: 'settled', by: 'own-search' });
  });

  it('keeps at most maxInFlight searches in flight', async () => {
    const fake = new FakeBatchQualys([]);
    let inFlight = 0;
    let most = 0;
    const port: BatchSearchPort = {
      async search(search: BatchSearch): Promise<BatchAnswer> {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight--;
        return fake.search(search);
      },
    };
    await run(
      port,
      Array.from({ length: 10 }, (_, n) => sha(n)),
      { batchSize: 2, maxInFlight: 3 },
    );
    expect([fake.searches.length, most]).toEqual([10, 3]);
  });

  it('joins an observable in flight for the same credentials when its page covers L', async () => {
    const registry = new InFlightObservables();
    const events = shaEvents(1, 3, true);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fake = new FakeBatchQualys(events);
    const slow: BatchSearchPort = {
      search: async (search) => {
        await gate;
        return fake.search(search);
      },
    };
    const inFlight = { registry, credentialsKey: 'creds' };
    const first = run(slow, [sha(1), sha(2)], { inFlight, limit: 5 });
    const other = new FakeBatchQualys(events);
    const joined = run(other, [sha(1)], { inFlight, limit: 2 });
    const larger = new FakeBatchQualys(events);
    const notJoined = run(larger, [sha(2)], { inFlight, limit: 9 });
    const elsewhere = new FakeBatchQualys(events);
    const otherCredentials = run(elsewhere, [sha(1)], {
      inFlight: { registry, credentialsKey: 'other' },
    });
    release();
    const [, results] = await Promise.all([first, joined, notJoined, otherCredentials]);
    expect([other.searches.length, larger.searches.length, elsewhere.searches.length]).toEqual([
      0, 2, 2,
    ]);
    expect(results[0].active).toEqual({
      kind: 'settled',
      events: events.slice(0, 2).map(({ event }) => event),
      fetchedAt: fake.fetchedAt,
      bytes: expect.any(Number),
      by: 'joined',
    });
  });

  it('searches itself an observable whose joined search failed', async () => {
    const registry = new InFlightObservables();
    const inFlight = { registry, credentialsKey: 'creds' };
    const failing = new FakeBatchQualys([]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const port: BatchSearchPort = {
      search: async () => {
        await gate;
        throw new RelayError(ErrorCode.CONNECTION, 'gone');
      },
    };
    const first = run(port, [sha(1)], { inFlight });
    const fake = new FakeBatchQualys(shaEvents(1, 1, true));
    const second = run(fake, [sha(1)], { inFlight });
    release();
    const [, results] = await Promise.all([first, second]);
    expect(failing.searches).toEqual([]);
    expect(shapes(fake)).toEqual([
      [true, 1, 2],
      [false, 1, 2],
    ]);
    expect(results[0].active).toMatchObject({ kind: 'settled', by: 'own-search' });
  });

  it('starts nothing more for an abandoned observable, and ends it with the error given', async () => {
    const events = [...shaEvents(1, 3, true), ...shaEvents(1, 3, false)];
    const fake = new FakeBatchQualys(events);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: BatchSearchPort = {
      search: async (search) => {
        await gate;
        return fake.search(search);
      },
    };
    const left = new Error('left out');
    const searches = new BatchedSearches([{ observable: sha(1) }, { observable: sha(2) }], {
      port: slow,
      limit: 2,
      batchSize: 20,
    });
    const done = searches.run();
    searches.abandon(0, left);
    release();
    const results = await done;
    // Both batches were in flight; sha(1) would have gone alone in both states.
    expect(shapes(fake)).toEqual([
      [true, 2, 4],
      [false, 2, 4],
    ]);
    expect(results[0]).toEqual({
      active: { kind: 'failed', error: left },
      historical: { kind: 'failed', error: left },
    });
    expect(results[1].active).toMatchObject({ kind: 'settled', events: [] });
  });

  it('tells each final state as it ends', async () => {
    const fake = new FakeBatchQualys([]);
    const finished: [number, boolean, string][] = [];
    const results = await run(fake, [sha(1), domain(1)], {
      hooks: { finished: (index, active, outcome) => finished.push([index, active, outcome.kind]) },
    });
    // Told, not kept: a request's events are the caller's to drop once mapped (spec §15).
    expect(results).toEqual([{}, {}]);
    expect(finished.sort()).toEqual([
      [0, false, 'settled'],
      [0, true, 'settled'],
      [1, false, 'settled'],
      [1, true, 'settled'],
    ]);
  });
});
