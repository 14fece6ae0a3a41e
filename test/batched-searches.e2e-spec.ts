import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import type { SupportedObservable } from '../src/common/observable.js';
import type { QualysEvent } from '../src/qualys/qualys-event.js';
import { buildSearchFilter } from '../src/qualys/search-filter.js';
import {
  SIMULATOR_EVENTS,
  SIMULATOR_VALUES,
  UNATTRIBUTABLE_EVENTS,
  UNATTRIBUTABLE_VALUES,
  type SimulatorEvent,
} from '../tools/simulator/dataset.js';
import { encodedLength } from '../tools/simulator/event-search.js';
import {
  startQualysSimulator,
  type QualysSimulator,
  type SimulatorOptions,
} from '../tools/simulator/qualys-simulator.js';
import {
  canonicalAnswer,
  postObservables,
  searchesOf,
  tokenFor,
  type ObservableItem,
} from './support/batch-comparison.js';
import { worldArbitrary } from './support/batch-worlds.js';
import { seriesOf } from './support/prometheus-text.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

/**
 * Spec §12 end to end: the relay's batched searches over real sockets
 * against the bundled simulator. Every answer of a batched relay
 * (`QUALYS_BATCH_SIZE=20`) is compared, entity for entity (ids aside, order
 * free), with a second relay's that searches each observable alone
 * (`QUALYS_BATCH_SIZE=1`) on the same simulator: a second relay, because
 * observables settled by a batch are cached as their own searches.
 */

const V = SIMULATOR_VALUES;
const U = UNATTRIBUTABLE_VALUES;
const OBSERVE = '/observe/observables' as const;
const DELIBERATE = '/deliberate/observables' as const;
const BATCHED = { QUALYS_BATCH_SIZE: '20' };
const SEPARATE = { QUALYS_BATCH_SIZE: '1' };
/**
 * Room for a loaded machine: the separate relay sends up to 120 searches at
 * once here, and a call cut by the harness's 2 s timeout would make the two
 * answers differ for a reason that is not batching. Deadline cases set theirs.
 */
const PATIENT = { QUALYS_TIMEOUT_MS: '10000', QUALYS_BUDGET_MS: '15000' };

const sha256Of = (text: string) => createHash('sha256').update(text).digest('hex');
const md5Of = (text: string) => createHash('md5').update(text).digest('hex');
const sha256 = (value: string): ObservableItem => ({ type: 'sha256', value });
const md5 = (value: string): ObservableItem => ({ type: 'md5', value });
const ip = (value: string): ObservableItem => ({ type: 'ip', value });
const domain = (value: string): ObservableItem => ({ type: 'domain', value });
const fileName = (value: string): ObservableItem => ({ type: 'file_name', value });

/** `label → observable` as a value → label map for `searchesOf`. */
function labelsOf(named: Record<string, ObservableItem>): Map<string, string> {
  return new Map(Object.entries(named).map(([label, { value }]) => [value, label]));
}

/** A batch's filter length in the URL (spec §12: at most 2,000 characters). */
function batchFilterLength(observables: readonly ObservableItem[]): number {
  return encodedLength(
    observables
      .map((observable) => `(${buildSearchFilter(observable as SupportedObservable)})`)
      .join(' or '),
  );
}

/** Qualys's timestamp format (spec §5). */
const qualysTime = (epochMs: number) => new Date(epochMs).toISOString().replace('Z', '+0000');

/** A FILE event of one SHA-256 (and its own MD5), numbered `n`. */
function fileEvent(n: number, active: boolean, hash: { sha256?: string; md5?: string }) {
  const event: QualysEvent = {
    id: `b4c4e5e0-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    dateTime: qualysTime(Date.UTC(2024, 6, 1) + n * 60_000),
    type: 'FILE',
    action: 'Created',
    score: '8',
    asset: { netBiosName: 'LAB-01', fullOSName: 'Ubuntu 22.04.4 LTS' },
    file: { fileName: `sample_${n}.bin`, fullPath: `/tmp/sample_${n}.bin`, ...hash },
    indicator2: [{ verdict: 'MALICIOUS', threatName: 'Sample.Generic', score: 8 }],
  };
  return { active, event } satisfies SimulatorEvent;
}

/** `count` FILE events of `hash` in one state, numbered from `first`. */
function fileEvents(
  first: number,
  count: number,
  active: boolean,
  hash: { sha256?: string; md5?: string },
): SimulatorEvent[] {
  return Array.from({ length: count }, (_, i) => fileEvent(first + i, active, hash));
}

/** Two relays, batched and separate, and the simulators a describe block opened. */
function relayPair(env: Record<string, string> = {}) {
  const pair = {
    batched: undefined as unknown as RelayHarness,
    separate: undefined as unknown as RelayHarness,
    simulators: [] as QualysSimulator[],
    /**
     * A simulator of its own for one case, open until the block ends: no
     * later simulator takes its port, so no relay mistakes it for another
     * (tokens, learned batch sizes and the cache go by API URL).
     */
    async simulator(options: SimulatorOptions = {}): Promise<QualysSimulator> {
      const simulator = await startQualysSimulator({ host: '127.0.0.1', port: 0, ...options });
      pair.simulators.push(simulator);
      return simulator;
    },
    /**
     * Asks both relays, the batched one first, and requires equal answers
     * (spec §12); returns the batched relay's answer and searches.
     */
    async compare(
      simulator: QualysSimulator,
      observables: readonly ObservableItem[],
      options: { limit?: number; labels?: Map<string, string> } = {},
    ) {
      simulator.resetStats();
      const body = await postObservables(
        pair.batched.url,
        OBSERVE,
        observables,
        await tokenFor(pair.batched, simulator, options.limit),
      );
      const searches = searchesOf(simulator, options.labels);
      const { searchCalls, batchedSearchCalls } = simulator.stats;
      const statuses = simulator.stats.searches.map((search) => search.status).sort();
      simulator.resetStats();
      const separateBody = await postObservables(
        pair.separate.url,
        OBSERVE,
        observables,
        await tokenFor(pair.separate, simulator, options.limit),
      );
      const separateCalls = simulator.stats.searchCalls;
      simulator.resetStats();
      expect(canonicalAnswer(body)).toEqual(canonicalAnswer(separateBody));
      return { body, searches, statuses, searchCalls, batchedSearchCalls, separateCalls };
    },
  };
  beforeAll(async () => {
    pair.batched = await startRelayHarness({ env: { ...PATIENT, ...env, ...BATCHED } });
    pair.separate = await startRelayHarness({ env: { ...PATIENT, ...env, ...SEPARATE } });
  });
  afterAll(async () => {
    await Promise.all(pair.simulators.map((simulator) => simulator.close()));
    await pair.batched.close();
    await pair.separate.close();
  });
  return pair;
}

describe('batched searches answer what separate searches answer (spec §12)', () => {
  // A generated limit of 3 comes from this configuration, any other from the token (spec §5).
  const CONFIGURED_LIMIT = 3;
  const pair = relayPair({ CTR_ENTITIES_LIMIT: String(CONFIGURED_LIMIT) });

  it('/observe and /deliberate, over generated investigations and data sets', async () => {
    let batchedCalls = 0;
    let separateCalls = 0;
    await fc.assert(
      fc.asyncProperty(worldArbitrary, async (world) => {
        const claim = world.limit === CONFIGURED_LIMIT ? undefined : world.limit;
        const simulator = await startQualysSimulator({
          host: '127.0.0.1',
          port: 0,
          events: world.events,
          containsMatch: world.containsMatch,
          looseHashes: world.looseHashes,
        });
        try {
          for (const route of [OBSERVE, DELIBERATE]) {
            simulator.resetStats();
            const batched = await postObservables(
              pair.batched.url,
              route,
              world.investigation,
              await tokenFor(pair.batched, simulator, claim),
            );
            batchedCalls += simulator.stats.searchCalls;
            simulator.resetStats();
            const separate = await postObservables(
              pair.separate.url,
              route,
              world.investigation,
              await tokenFor(pair.separate, simulator, claim),
            );
            separateCalls += simulator.stats.searchCalls;
            // Every search completes without error here, so the answers hold the same entities.
            expect(batched.errors).toBeUndefined();
            expect(canonicalAnswer(batched)).toEqual(canonicalAnswer(separate));
          }
        } finally {
          await simulator.close();
        }
      }),
      { numRuns: 40 },
    );
    // Over the whole run, batching asks Qualys less often than separate searches do.
    expect(batchedCalls).toBeLessThan(separateCalls);
  }, 120_000);
});

describe('calls per investigation (spec §12)', () => {
  const pair = relayPair();

  /**
   * The investigation of the issue: 10 SHA-256, 5 MD5, 5 IPs, 10 domains,
   * 5 file names, in that order. Qualys has seen three of the exact ones:
   * the invoice file (its SHA-256 and MD5: 2 active + 2 historical events)
   * and the finance laptop's address (1 + 1 as a local address, and it sits
   * in the laptop's interfaces in the invoice's events too).
   */
  const named: Record<string, ObservableItem> = {
    ...Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [
        `s${i}`,
        sha256(i === 0 ? V.sha256 : sha256Of(`unseen-${i}`)),
      ]),
    ),
    ...Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [`m${i}`, md5(i === 0 ? V.md5 : md5Of(`unseen-${i}`))]),
    ),
    ...Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [`i${i}`, ip(i === 0 ? V.localIp : `10.77.4.3${i}`)]),
    ),
    ...Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`d${i}`, domain(`cdn-${i}.unseen.example.com`)]),
    ),
    ...Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [`f${i}`, fileName(`report_${i}.pdf`)]),
    ),
  };
  const investigation = Object.values(named);
  const labels = labelsOf(named);
  const list = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => `${prefix}${i}`).join(',');
  const EXACT = [list('s', 10), list('m', 5), list('i', 5)].join(',');
  const CONTAINS = [list('d', 10), list('f', 5)].join(',');

  it("costs the issue's 35-observable investigation 6 searches instead of 70, the same answer", async () => {
    // The 20 exact observables fit one batch: 20 observables, 2,000 characters.
    expect(batchFilterLength(investigation.slice(0, 20))).toBe(1982);
    const { searches, searchCalls, batchedSearchCalls, separateCalls } = await pair.compare(
      await pair.simulator(),
      investigation,
      { labels },
    );
    // Per state: one exact batch (page min(20 × 100, 1000)), complete; the
    // address alone, because an invoice event that does not match it carries
    // it (the laptop's interface); one probe of the 15 contains ones, empty.
    expect(searches).toEqual([
      `active 1 ${CONTAINS}`,
      `active 100 i0`,
      `active 1000 ${EXACT}`,
      `historical 1 ${CONTAINS}`,
      `historical 100 i0`,
      `historical 1000 ${EXACT}`,
    ]);
    expect({ searchCalls, batchedSearchCalls, separateCalls }).toEqual({
      searchCalls: 6,
      batchedSearchCalls: 4,
      separateCalls: 70,
    });
  });

  it('costs it 26 searches when one of its domains was seen too: a non-empty probe halves, then goes alone', async () => {
    const withDomain = { ...named, d0: domain(V.domain) };
    const { searches, searchCalls, separateCalls } = await pair.compare(
      await pair.simulator(),
      Object.values(withDomain),
      { labels: labelsOf(withDomain) },
    );
    // The probe of 15 is not empty (the C2 domain, in both states): halves of
    // 8 and 7 are probed; the 8 with the domain are each searched alone.
    const alone = Array.from({ length: 8 }, (_, i) => `d${i}`);
    expect(searches).toEqual(
      ['active', 'historical']
        .flatMap((state) => [
          `${state} 1 ${CONTAINS}`,
          `${state} 1 ${list('d', 8)}`,
          `${state} 1 d8,d9,${list('f', 5)}`,
          `${state} 100 i0`,
          `${state} 1000 ${EXACT}`,
          ...alone.map((label) => `${state} 100 ${label}`),
        ])
        .sort(),
    );
    expect({ searchCalls, separateCalls }).toEqual({ searchCalls: 26, separateCalls: 70 });
  });

  it('costs an all-empty investigation one search per kind, state and 20 observables', async () => {
    const hashes = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`m${i}`, md5(md5Of(`empty-${i}`))]),
    );
    const domains = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`d${i}`, domain(`quiet-${i}.example.org`)]),
    );
    const { searches, separateCalls, body } = await pair.compare(
      await pair.simulator(),
      [...Object.values(hashes), ...Object.values(domains)],
      { labels: labelsOf({ ...hashes, ...domains }) },
    );
    const md5s = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `m${from + i}`).join(',');
    expect(body).toEqual({ data: {} });
    expect(searches).toEqual(
      ['active', 'historical']
        .flatMap((state) => [
          `${state} 1 ${list('d', 10)}`,
          `${state} 1000 ${md5s(0, 20)}`,
          `${state} 1000 ${md5s(20, 40)}`,
          `${state} 1000 ${md5s(40, 50)}`,
        ])
        .sort(),
    );
    expect(separateCalls).toBe(120);
  });

  it('fills a batch of SHA-256s up to 2,000 filter characters: 50 of them are 18 + 18 + 14', async () => {
    const hashes = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`s${i}`, sha256(sha256Of(`empty-${i}`))]),
    );
    const values = Object.values(hashes);
    expect([
      batchFilterLength(values.slice(0, 18)),
      batchFilterLength(values.slice(0, 19)),
    ]).toEqual([1900, 2006]);
    const { searches, separateCalls } = await pair.compare(await pair.simulator(), values, {
      labels: labelsOf(hashes),
    });
    const run = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `s${from + i}`).join(',');
    expect(searches).toEqual(
      ['active', 'historical']
        .flatMap((state) => [
          `${state} 1000 ${run(0, 18)}`,
          `${state} 1000 ${run(18, 36)}`,
          `${state} 1000 ${run(36, 50)}`,
        ])
        .sort(),
    );
    expect(separateCalls).toBe(100);
  });

  /**
   * L = 2, five SHA-256s A–E with 4, 3, 1, 1, 1 active events and 1, 0, 3,
   * 0, 0 historical ones. The active batch asks for 5 × 2 = 10 events and
   * gets exactly 10: full.
   */
  const FULL: Record<string, ObservableItem> = Object.fromEntries(
    ['A', 'B', 'C', 'D', 'E'].map((label) => [label, sha256(sha256Of(`full-${label}`))]),
  );
  const fullEvents = (): SimulatorEvent[] => {
    const [a, b, c, d, e] = Object.values(FULL).map(({ value }) => ({ sha256: value }));
    return [
      ...fileEvents(1, 4, true, a),
      ...fileEvents(11, 3, true, b),
      ...fileEvents(21, 1, true, c),
      ...fileEvents(31, 1, true, d),
      ...fileEvents(41, 1, true, e),
      ...fileEvents(51, 1, false, a),
      ...fileEvents(61, 3, false, c),
    ];
  };

  it('splits a full answer: observables with at least L events alone, the rest re-batched', async () => {
    const { searches, separateCalls } = await pair.compare(
      await pair.simulator({ events: fullEvents() }),
      Object.values(FULL),
      { limit: 2, labels: labelsOf(FULL) },
    );
    // Active: A (4) and B (3) reach L in the full answer and go alone; C, D,
    // E form a new batch (page 6) answered complete. Historical: complete
    // (4 events, page 10); B, D, E have none; A has a = L, so its historical
    // events cannot appear; C has a + h = 4 > L with a < L: alone.
    expect(searches).toEqual([
      'active 10 A,B,C,D,E',
      'active 2 A',
      'active 2 B',
      'active 6 C,D,E',
      'historical 10 A,B,C,D,E',
      'historical 2 C',
    ]);
    expect(separateCalls).toBe(10);
  });

  it('splits a full answer at the 1,000-event page in halves when no observable reaches L', async () => {
    const hashes = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`m${i}`, md5(md5Of(`fifty-${i}`))]),
    );
    const values = Object.values(hashes);
    const events = values.flatMap(({ value }, i) =>
      fileEvents(1000 + i * 50, 50, true, { md5: value }),
    );
    const { searches, separateCalls, body } = await pair.compare(
      await pair.simulator({ events }),
      values,
      { labels: labelsOf(hashes) },
    );
    expect(body.data?.sightings?.count).toBe(1000);
    // 20 × 50 events fill the 1,000-event page, none of the 20 has L = 100 of
    // them: re-batching them all would ask the same again, so the batch is
    // split in halves, each answered complete (500 events).
    expect(searches).toEqual(
      [
        `active 1000 ${list('m', 20)}`,
        `active 1000 ${list('m', 10)}`,
        `active 1000 ${Array.from({ length: 10 }, (_, i) => `m${10 + i}`).join(',')}`,
        `historical 1000 ${list('m', 20)}`,
      ].sort(),
    );
    expect(separateCalls).toBe(40);
  });

  const UNATTRIBUTABLE: Record<string, ObservableItem> = {
    verdictOnly: sha256(U.verdictOnlySha256),
    upperCase: sha256(U.upperCaseSha256),
    carrier: sha256(U.carrierSha256),
    upperCaseMd5: md5(U.upperCaseFileMd5),
    invoice: sha256(V.sha256),
    unknown: sha256(V.unknownSha256),
  };
  const withUnattributable: SimulatorOptions = {
    events: [...SIMULATOR_EVENTS, ...UNATTRIBUTABLE_EVENTS],
    looseHashes: true,
  };

  it('searches alone the hashes whose events Qualys finds by a field the relay does not attribute by', async () => {
    const { searches, separateCalls, body } = await pair.compare(
      await pair.simulator(withUnattributable),
      Object.values(UNATTRIBUTABLE),
      { labels: labelsOf(UNATTRIBUTABLE) },
    );
    expect(body.data?.sightings?.count).toBe(12);
    // Every event of each answer matches a batch observable (the carrier,
    // the MD5 of the upper-case file, the invoice), so the answer is
    // complete; the verdict-only and the upper-case SHA-256 are carried by
    // events that do not match them: alone.
    const batch = 'verdictOnly,upperCase,carrier,upperCaseMd5,invoice,unknown';
    expect(searches).toEqual([
      `active 100 upperCase`,
      `active 100 verdictOnly`,
      `active 600 ${batch}`,
      `historical 100 upperCase`,
      `historical 100 verdictOnly`,
      `historical 600 ${batch}`,
    ]);
    expect(separateCalls).toBe(12);
  });

  it('searches each observable alone after an answer with events that match none of its batch', async () => {
    const { verdictOnly, upperCase, invoice, unknown } = UNATTRIBUTABLE;
    const named4 = { verdictOnly, upperCase, invoice, unknown };
    const { searches, body } = await pair.compare(
      await pair.simulator(withUnattributable),
      Object.values(named4),
      { labels: labelsOf(named4) },
    );
    expect(body.data?.sightings?.count).toBe(8);
    expect(searches).toEqual(
      ['active', 'historical']
        .flatMap((state) => [
          `${state} 400 verdictOnly,upperCase,invoice,unknown`,
          ...['invoice', 'unknown', 'upperCase', 'verdictOnly'].map(
            (label) => `${state} 100 ${label}`,
          ),
        ])
        .sort(),
    );
  });

  it('halves a batch Qualys refuses with 400 as too long, and starts the next request with the halves', async () => {
    const simulator = await pair.simulator({ maxFilterLength: 1000 });
    const first = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`m${i}`, md5(md5Of(`refused-${i}`))]),
    );
    const second = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`n${i}`, md5(md5Of(`learned-${i}`))]),
    );
    const firstValues = Object.values(first);
    expect([batchFilterLength(firstValues), batchFilterLength(firstValues.slice(0, 10))]).toEqual([
      1412, 702,
    ]);
    const refused = await pair.compare(simulator, firstValues, { labels: labelsOf(first) });
    const half = (prefix: string, from: number) =>
      Array.from({ length: 10 }, (_, i) => `${prefix}${from + i}`).join(',');
    expect(refused.body).toEqual({ data: {} });
    expect(refused.searches).toEqual(
      ['active', 'historical']
        .flatMap((state) => [
          `${state} 1000 ${list('m', 20)}`,
          `${state} 1000 ${half('m', 0)}`,
          `${state} 1000 ${half('m', 10)}`,
        ])
        .sort(),
    );
    expect(refused.statuses).toEqual([200, 200, 200, 200, 400, 400]);
    // The subscription's batch size is now 10 for an hour: no refusal.
    simulator.resetStats();
    const learned = await pair.compare(simulator, Object.values(second), {
      labels: labelsOf(second),
    });
    expect(learned.searches).toEqual(
      ['active', 'historical']
        .flatMap((state) => [`${state} 1000 ${half('n', 0)}`, `${state} 1000 ${half('n', 10)}`])
        .sort(),
    );
    expect(learned.statuses).toEqual([200, 200, 200, 200]);
  });
});

describe('refused and oversized batches (spec §12 "Refused batches")', () => {
  const pair = relayPair({ QUALYS_MAX_ANSWER_MB: '1' });
  const hashes = (tag: string) =>
    Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`m${i}`, md5(md5Of(`${tag}-${i}`))]));
  const run = (prefix: string, from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`).join(',');

  it.each([413, 414])(
    'halves a batch refused with %i, and the next request starts with the halves',
    async (status) => {
      const simulator = await pair.simulator();
      // The first two batches (one per state) are refused; the halves are not.
      simulator.injectFault({
        on: 'search',
        kind: 'status',
        status,
        times: 2,
        match: { filterIncludes: ') or (' },
      });
      const first = hashes(`refused-${status}`);
      const refused = await pair.compare(simulator, Object.values(first), {
        labels: labelsOf(first),
      });
      expect(refused.body).toEqual({ data: {} });
      expect(refused.searches).toEqual(
        ['active', 'historical']
          .flatMap((state) => [
            `${state} 1000 ${run('m', 0, 20)}`,
            `${state} 1000 ${run('m', 0, 10)}`,
            `${state} 1000 ${run('m', 10, 20)}`,
          ])
          .sort(),
      );
      expect(refused.statuses).toEqual([200, 200, 200, 200, status, status]);
      const second = hashes(`learned-${status}`);
      const learned = await pair.compare(simulator, Object.values(second), {
        labels: labelsOf(second),
      });
      expect(learned.searches).toEqual(
        ['active', 'historical']
          .flatMap((state) => [
            `${state} 1000 ${run('m', 0, 10)}`,
            `${state} 1000 ${run('m', 10, 20)}`,
          ])
          .sort(),
      );
    },
  );

  it('takes a 404 on a batch for nothing found, as on a single search', async () => {
    const simulator = await pair.simulator();
    simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 404,
      match: { filterIncludes: ') or (' },
    });
    const seen = {
      invoice: sha256(V.sha256),
      invoiceMd5: md5(V.md5),
      clean: sha256(V.cleanSha256),
    };
    const body = await postObservables(
      pair.batched.url,
      OBSERVE,
      Object.values(seen),
      await tokenFor(pair.batched, simulator),
    );
    expect(body).toEqual({ data: {} });
    expect(searchesOf(simulator, labelsOf(seen))).toEqual([
      'active 300 invoice,invoiceMd5,clean',
      'historical 300 invoice,invoiceMd5,clean',
    ]);
  });

  it('counts an answer over QUALYS_MAX_ANSWER_MB as full: its halves are searched', async () => {
    const named = hashes('padded');
    // 8 active events of about 8 KiB per MD5: 1.3 MiB for the batch of 20, 0.65 MiB per half.
    const events = Object.values(named).flatMap(({ value }, i) =>
      fileEvents(100 + i * 10, 8, true, { md5: value }).map(({ active, event }) => ({
        active,
        event: { ...event, details: 'x'.repeat(8 * 1024) },
      })),
    );
    const { searches, body, separateCalls } = await pair.compare(
      await pair.simulator({ events }),
      Object.values(named),
      { labels: labelsOf(named) },
    );
    expect(body.data?.sightings?.count).toBe(160);
    expect(searches).toEqual(
      [
        `active 1000 ${run('m', 0, 20)}`,
        `active 1000 ${run('m', 0, 10)}`,
        `active 1000 ${run('m', 10, 20)}`,
        `historical 1000 ${run('m', 0, 20)}`,
      ].sort(),
    );
    expect(separateCalls).toBe(40);
  });
});

describe('an observable already in flight (spec §12)', () => {
  const pair = relayPair();

  it('joins the batch in flight whose page covers its L instead of searching again', async () => {
    const simulator = await pair.simulator({ latencyMs: 250 });
    const token = await tokenFor(pair.batched, simulator);
    // A first request fetches the token, so the next ones go straight to their searches.
    await postObservables(pair.batched.url, OBSERVE, [], token);
    await postObservables(pair.batched.url, OBSERVE, [sha256(V.cleanSha256)], token);
    simulator.resetStats();
    const named = {
      invoice: sha256(V.sha256),
      invoiceMd5: md5(V.md5),
      unknown: sha256(V.unknownSha256),
      address: ip(V.ip),
    };
    const large = Object.values(named);
    const first = postObservables(pair.batched.url, OBSERVE, large, token);
    // Both batches of the large request are in flight: then the small one asks.
    while (simulator.stats.runningSearches.overall < 2) await sleep(5);
    const small = await postObservables(pair.batched.url, OBSERVE, [md5(V.md5)], token);
    const largeBody = await first;
    // No search of the MD5 of its own: it joined both batches of the large
    // request. (The address goes alone in the historical state: an invoice
    // event there carries it in its asset's interfaces.)
    expect(searchesOf(simulator, labelsOf(named))).toEqual([
      'active 400 invoice,invoiceMd5,unknown,address',
      'historical 100 address',
      'historical 400 invoice,invoiceMd5,unknown,address',
    ]);
    const separateToken = await tokenFor(pair.separate, simulator);
    expect(canonicalAnswer(small)).toEqual(
      canonicalAnswer(
        await postObservables(pair.separate.url, OBSERVE, [md5(V.md5)], separateToken),
      ),
    );
    expect(canonicalAnswer(largeBody)).toEqual(
      canonicalAnswer(await postObservables(pair.separate.url, OBSERVE, large, separateToken)),
    );
  });
});

describe('the cache with batched searches (spec §9, §12)', () => {
  let relay: RelayHarness;
  let separate: RelayHarness;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: { ...PATIENT, ...BATCHED, QUALYS_CACHE_TTL_SEC: '60' },
    });
    separate = await startRelayHarness({ env: { ...PATIENT, ...SEPARATE } });
  });
  afterAll(async () => {
    await relay.close();
    await separate.close();
  });

  const investigation = [
    md5(V.md5),
    sha256(V.cleanSha256),
    sha256(V.unknownSha256),
    fileName(V.fileName),
    domain('nothing-seen.example.org'),
  ];

  it('answers a repeated investigation without a call, and each observable of a settled batch alone too', async () => {
    const token = await relay.token();
    const first = await postObservables(relay.url, OBSERVE, investigation, token);
    // Per state: the exact batch (complete: all three settled) and the probe
    // (not empty, 2 observables: each alone).
    expect(relay.simulator.stats.searchCalls).toBe(8);
    relay.simulator.resetStats();

    const repeated = await postObservables(relay.url, OBSERVE, investigation, token);
    expect(relay.simulator.stats.searchCalls).toBe(0);
    expect(canonicalAnswer(repeated)).toEqual(canonicalAnswer(first));

    const separateToken = await tokenFor(separate, relay.simulator);
    for (const observable of investigation.slice(0, 3)) {
      const alone = await postObservables(relay.url, OBSERVE, [observable], token);
      expect(relay.simulator.stats.searchCalls).toBe(0);
      const searched = await postObservables(separate.url, OBSERVE, [observable], separateToken);
      relay.simulator.resetStats();
      expect(canonicalAnswer(alone)).toEqual(canonicalAnswer(searched));
    }
  });

  it('lets /observe reuse the batched searches /deliberate made for the same hashes', async () => {
    const token = await relay.token();
    const hashes = [sha256(V.sha256), sha256(V.disputedSha256), md5(md5Of('never-seen'))];
    relay.simulator.resetStats();
    const verdicts = await postObservables(relay.url, DELIBERATE, hashes, token);
    // One batch per state, complete: every hash settled.
    expect(relay.simulator.stats.searchCalls).toBe(2);
    expect(verdicts.data?.verdicts?.count).toBe(2);
    relay.simulator.resetStats();
    const observed = await postObservables(relay.url, OBSERVE, hashes, token);
    expect(relay.simulator.stats.searchCalls).toBe(0);
    const separateToken = await tokenFor(separate, relay.simulator);
    expect(canonicalAnswer(observed)).toEqual(
      canonicalAnswer(await postObservables(separate.url, OBSERVE, hashes, separateToken)),
    );
  });
});

describe('batched searches at the deadline (spec §9, §12)', () => {
  const pair = relayPair({
    RELAY_DEADLINE_MS: '1500',
    QUALYS_BUDGET_MS: '1500',
    QUALYS_TIMEOUT_MS: '5000',
  });

  it('counts every observable of an unfinished batch unfinished, and keeps what their other state gave', async () => {
    const investigation = [
      sha256(V.sha256),
      sha256(V.cleanSha256),
      sha256(V.unknownSha256),
      domain(V.domain),
      domain('nothing-seen.example.org'),
    ];
    // The historical batch of the three SHA-256s never answers; one of them
    // is enough to hold the whole batch.
    const batchedSimulator = await pair.simulator();
    batchedSimulator.injectFault({
      on: 'search',
      kind: 'hang',
      match: { active: false, filterIncludes: V.cleanSha256 },
    });
    const started = Date.now();
    const body = await postObservables(
      pair.batched.url,
      OBSERVE,
      investigation,
      await tokenFor(pair.batched, batchedSimulator),
    );
    expect(Date.now() - started).toBeLessThan(1500 + 1000);
    expect(body.errors).toEqual([
      {
        type: 'fatal',
        code: 'connection error',
        message: 'Qualys IOC did not answer in time for 3 of 5 observables; try again later.',
      },
    ]);
    // The same as separate searches whose three historical SHA-256 searches never answer.
    const separateSimulator = await pair.simulator();
    separateSimulator.injectFault({
      on: 'search',
      kind: 'hang',
      match: { active: false, filterIncludes: 'file.hash.sha256' },
    });
    const separate = await postObservables(
      pair.separate.url,
      OBSERVE,
      investigation,
      await tokenFor(pair.separate, separateSimulator),
    );
    expect(canonicalAnswer(body)).toEqual(canonicalAnswer(separate));
    // Their active events are kept (the invoice's 2, the clean file's 1), and the domain's 2.
    expect(body.data?.sightings?.count).toBe(5);
  });
});

describe('batched searches slower than the deadline (spec §9, §12)', () => {
  const pair = relayPair({
    RELAY_DEADLINE_MS: '1000',
    QUALYS_BUDGET_MS: '1000',
    QUALYS_TIMEOUT_MS: '5000',
  });

  it('counts every observable of the unanswered batches unfinished, as separate searches would', async () => {
    const simulator = await pair.simulator();
    // Tokens first, while the simulator is fast: then only the searches are slow.
    for (const relay of [pair.batched, pair.separate]) {
      await postObservables(
        relay.url,
        OBSERVE,
        [sha256(V.cleanSha256)],
        await tokenFor(relay, simulator),
      );
    }
    simulator.setLatency(2500);
    const named = {
      invoice: sha256(V.sha256),
      invoiceMd5: md5(V.md5),
      address: ip(V.ip),
      unknown: sha256(V.unknownSha256),
      c2: domain(V.domain),
      invoiceName: fileName(V.fileName),
    };
    const { body, searches, separateCalls } = await pair.compare(simulator, Object.values(named), {
      labels: labelsOf(named),
    });
    expect(body).toEqual({
      errors: [
        {
          type: 'fatal',
          code: 'connection error',
          message: 'Qualys IOC did not answer in time for 6 of 6 observables; try again later.',
        },
      ],
    });
    // One exact batch and one probe per state were sent; none answered.
    expect(searches).toEqual([
      'active 1 c2,invoiceName',
      'active 400 invoice,invoiceMd5,address,unknown',
      'historical 1 c2,invoiceName',
      'historical 400 invoice,invoiceMd5,address,unknown',
    ]);
    expect(separateCalls).toBe(12);
  });
});

describe('/metrics after batched searches (spec §12)', () => {
  let relay: RelayHarness;
  const simulators: QualysSimulator[] = [];

  beforeAll(async () => {
    relay = await startRelayHarness({ env: { ...PATIENT, ...BATCHED } });
  });
  afterAll(async () => {
    await Promise.all(simulators.map((simulator) => simulator.close()));
    await relay.close();
  });

  it('counts batch answers by outcome and observables by what settled them', async () => {
    const full = Object.fromEntries(
      ['A', 'B', 'C', 'D', 'E'].map((label) => [label, sha256(sha256Of(`full-${label}`))]),
    );
    const [a, b, c, d, e] = Object.values(full).map(({ value }) => ({ sha256: value }));
    const fullSimulator = await startQualysSimulator({
      events: [
        ...fileEvents(1, 4, true, a),
        ...fileEvents(11, 3, true, b),
        ...fileEvents(21, 1, true, c),
        ...fileEvents(31, 1, true, d),
        ...fileEvents(41, 1, true, e),
        ...fileEvents(51, 1, false, a),
        ...fileEvents(61, 3, false, c),
      ],
    });
    simulators.push(fullSimulator);
    const unattributableSimulator = await startQualysSimulator({
      events: [...SIMULATOR_EVENTS, ...UNATTRIBUTABLE_EVENTS],
      looseHashes: true,
    });
    simulators.push(unattributableSimulator);

    // The full answer of "calls per investigation": active split (A, B
    // alone; C, D, E re-batched and settled), historical settled (C alone).
    await postObservables(
      relay.url,
      OBSERVE,
      Object.values(full),
      await tokenFor(relay, fullSimulator, 2),
    );
    // The unattributable answers: per state, 4 settled, 2 alone.
    await postObservables(
      relay.url,
      OBSERVE,
      [
        sha256(U.verdictOnlySha256),
        sha256(U.upperCaseSha256),
        sha256(U.carrierSha256),
        md5(U.upperCaseFileMd5),
        sha256(V.sha256),
        sha256(V.unknownSha256),
      ],
      await tokenFor(relay, unattributableSimulator),
    );

    const { text } = await request(relay.url).get('/metrics').expect(200);
    expect(seriesOf(text, 'relay_qualys_batch_answers_total')).toEqual({
      'outcome="settled"': 2,
      'outcome="split"': 1,
      'outcome="alone"': 2,
    });
    // Per observable and state: the full case's batches settle 3 active and 4
    // historical states, its own searches 3; the unattributable one's 8 and 4.
    expect(seriesOf(text, 'relay_qualys_observables_settled_total')).toEqual({
      'by="batch"': 15,
      'by="own_search"': 7,
    });
  });
});

describe('a batch Qualys answers with an error (spec §7, §12)', () => {
  const pair = relayPair();
  const investigation = [sha256(V.sha256), md5(V.md5), sha256(V.unknownSha256), domain(V.domain)];
  let simulator: QualysSimulator;

  afterEach(() => simulator.clearFaults());

  it('answers the error of a failed batch for each of its observables, an address among the hashes too', async () => {
    simulator = await pair.simulator();
    const mixed = [sha256(V.sha256), ip(V.ip), domain(V.domain)];
    simulator.resetStats();
    // Only batches fail: the address's own filter is not one.
    simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 403,
      body: 'IOC API access is not enabled',
      match: { filterIncludes: ') or (' },
    });
    const body = await postObservables(
      pair.batched.url,
      OBSERVE,
      mixed,
      await tokenFor(pair.batched, simulator),
    );
    expect(simulator.stats.batchedSearchCalls).toBe(2);
    simulator.clearFaults();
    // Separate searches in which every search of the SHA-256 and the address fails the same way.
    for (const filterIncludes of ['file.hash.', 'network.local.address.ip']) {
      simulator.injectFault({
        on: 'search',
        kind: 'status',
        status: 403,
        body: 'IOC API access is not enabled',
        match: { filterIncludes },
      });
    }
    const separate = await postObservables(
      pair.separate.url,
      OBSERVE,
      mixed,
      await tokenFor(pair.separate, simulator),
    );
    expect(body.errors).toEqual([
      { type: 'fatal', code: 'permission denied', message: 'IOC API access is not enabled' },
    ]);
    expect(canonicalAnswer(body)).toEqual(canonicalAnswer(separate));
    expect(body.data?.sightings?.count).toBe(2);
  });

  it.each([
    [
      401,
      'Token expired',
      { code: 'authorization error', message: 'Authorization failed: Token expired' },
    ],
    [
      403,
      'IOC API access is not enabled',
      { code: 'permission denied', message: 'IOC API access is not enabled' },
    ],
    [
      500,
      'Internal Server Error',
      { code: 'unknown', message: 'Unexpected response from Qualys IOC: Internal Server Error' },
    ],
    [
      503,
      'Service Unavailable',
      {
        code: 'service unavailable',
        message: 'Service temporarily unavailable. Please try again later.',
      },
    ],
  ])(
    'a %i on the batch is the error of each of its observables, as on their own searches',
    async (status, text, error) => {
      simulator = await pair.simulator();
      // Every search of a hash, batched or alone, answers the status.
      simulator.injectFault({
        on: 'search',
        kind: 'status',
        status,
        body: text,
        match: { filterIncludes: 'file.hash.' },
      });
      const { body } = await pair.compare(simulator, investigation);
      expect(body.errors).toEqual([{ type: 'fatal', ...error }]);
      // The domain, searched on its own, still answers.
      expect(body.data?.sightings?.count).toBe(2);
    },
  );
});
