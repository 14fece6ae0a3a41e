import { afterEach, describe, expect, it } from '@jest/globals';
import type { Env } from '../config/config-parser.js';
import {
  startQualysModule,
  type QualysModuleHarness,
} from '../../test/support/qualys-module-harness.js';
import { eventually } from '../../test/support/timing.js';
import { SIMULATOR_EVENTS, SIMULATOR_VALUES } from '../../tools/simulator/dataset.js';
import type { Observable } from '../common/observable.js';
import { CtimModule } from '../ctim/ctim.module.js';
import type { QualysEvent } from '../qualys/qualys-event.js';
import type { ObserveResponse } from './observe-response.js';
import { ObserveService } from './observe.service.js';
import { createHash } from 'node:crypto';
import type { SimulatorOptions } from '../../tools/simulator/qualys-simulator.js';

const SHA256: Observable = { type: 'sha256', value: SIMULATOR_VALUES.sha256 };
const MUTEX: Observable = { type: 'mutex', value: SIMULATOR_VALUES.mutex };
/** Text of the mutex's search filter that no other filter contains. */
const MUTEX_FILTER_TEXT = 'MsWinZonesCacheCounterMutexA0';

/** `<value> <event id> <Active>` for each event of the data set matching `observable`, active first. */
function expectedSightings(observable: Observable, matches: (event: QualysEvent) => boolean) {
  const line = (active: boolean) =>
    SIMULATOR_EVENTS.filter((entry) => entry.active === active && matches(entry.event)).map(
      ({ event }) => `${observable.value} ${String(event.id)} ${active ? 'True' : 'False'}`,
    );
  return { active: line(true), historical: line(false) };
}

const SHA256_SIGHTINGS = expectedSightings(SHA256, (event) => event.file?.sha256 === SHA256.value);
const MUTEX_SIGHTINGS = expectedSightings(MUTEX, (event) => event.handle?.name === MUTEX.value);

interface SightingDoc {
  observables: Observable[];
  external_ids: string[];
  data: { rows: string[][] };
}

/** Each sighting of an answer as `<observable value> <event id> <Active>`. */
function sightingsOf(response: ObserveResponse): string[] {
  const docs = (response.data?.sightings?.docs ?? []) as unknown as SightingDoc[];
  return docs.map(
    (doc) => `${doc.observables[0].value} ${doc.external_ids[0]} ${doc.data.rows[0][0]}`,
  );
}

describe('ObserveService against the Qualys simulator', () => {
  let qualys: QualysModuleHarness;
  let service: ObserveService;

  async function start(env: Env = {}, simulator: SimulatorOptions = {}): Promise<void> {
    qualys = await startQualysModule(
      { QUALYS_RETRIES: '0', RELAY_DEADLINE_MS: '5000', ...env },
      simulator,
      { imports: [CtimModule], providers: [ObserveService] },
    );
    service = qualys.app.get(ObserveService);
  }
  afterEach(() => qualys.close());

  const observe = (observables: Observable[]) =>
    service.observe(qualys.relayContext(), observables);

  /** The searches the simulator received, as `<state> <filter>`. */
  const searches = () =>
    qualys.simulator.stats.requests
      .filter((request) => request.method === 'GET')
      .map((request) => `${request.query.state ?? 'historical'} ${request.query.filter}`)
      .sort();

  it('searches each supported observable once, active and historical, and maps in request order', async () => {
    await start();
    // The data set's promise (dataset.ts), without which this test would prove little.
    expect(
      [SHA256_SIGHTINGS, MUTEX_SIGHTINGS].map((s) => [s.active.length, s.historical.length]),
    ).toEqual([
      [2, 2],
      [1, 1],
    ]);
    const response = await observe([
      SHA256,
      { type: 'url', value: 'https://example.com/' },
      MUTEX,
      SHA256,
    ]);
    expect(sightingsOf(response)).toEqual([
      ...SHA256_SIGHTINGS.active,
      ...SHA256_SIGHTINGS.historical,
      ...MUTEX_SIGHTINGS.active,
      ...MUTEX_SIGHTINGS.historical,
    ]);
    expect(response.errors).toBeUndefined();
    expect(searches()).toEqual([
      'historical file.hash.sha256: "52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786"',
      'historical handle.name: "Global\\\\MsWinZonesCacheCounterMutexA0"',
      'true file.hash.sha256: "52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786"',
      'true handle.name: "Global\\\\MsWinZonesCacheCounterMutexA0"',
    ]);
  });

  it('answers {"data": {}} when nothing is found, and asks nothing for unsupported types', async () => {
    await start();
    expect(await observe([{ type: 'url', value: 'https://example.com/' }])).toEqual({ data: {} });
    expect(qualys.simulator.stats.searchCalls).toBe(0);
    expect(await observe([{ type: 'sha256', value: SIMULATOR_VALUES.unknownSha256 }])).toEqual({
      data: {},
    });
    expect(qualys.simulator.stats.searchCalls).toBe(2);
  });

  it("keeps the other observables when one fails, and abandons the failed one's other search", async () => {
    await start();
    const match = { filterIncludes: MUTEX_FILTER_TEXT };
    qualys.simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 403,
      match: { ...match, active: true },
    });
    qualys.simulator.injectFault({
      on: 'search',
      kind: 'hang',
      match: { ...match, active: false },
    });

    const started = Date.now();
    const response = await observe([SHA256, MUTEX]);
    // Well before RELAY_DEADLINE_MS: nobody waited for the hanging search.
    expect(Date.now() - started).toBeLessThan(2500);
    expect(sightingsOf(response)).toEqual([
      ...SHA256_SIGHTINGS.active,
      ...SHA256_SIGHTINGS.historical,
    ]);
    expect(response.errors).toEqual([
      { type: 'fatal', code: 'permission denied', message: 'Forbidden' },
    ]);
    // The hanging search was aborted: the simulator saw its client leave.
    expect(
      await eventually(() => qualys.simulator.stats.searches.every((s) => s.endedAt !== undefined)),
    ).toBe(true);
  });

  it('answers at the deadline with every search that finished, and counts the late observables', async () => {
    await start({ RELAY_DEADLINE_MS: '1000', QUALYS_BUDGET_MS: '1000' });
    qualys.simulator.injectFault({
      on: 'search',
      kind: 'hang',
      match: { filterIncludes: MUTEX_FILTER_TEXT, active: false },
    });

    const response = await observe([SHA256, MUTEX]);
    expect(sightingsOf(response)).toEqual([
      ...SHA256_SIGHTINGS.active,
      ...SHA256_SIGHTINGS.historical,
      // The mutex's active search finished in time: its events are kept.
      ...MUTEX_SIGHTINGS.active,
    ]);
    expect(response.errors).toEqual([
      {
        type: 'fatal',
        code: 'connection error',
        message: 'Qualys IOC did not answer in time for 1 of 2 observables; try again later.',
      },
    ]);
  });

  describe('bounds of spec §15', () => {
    const md5s = (n: number, seed = 'bounds'): Observable[] =>
      Array.from({ length: n }, (_, i) => ({
        type: 'md5',
        value: createHash('md5').update(`${seed}-${i}`).digest('hex'),
      }));
    const busy = (n: number, m: number) => ({
      type: 'fatal',
      code: 'too many requests',
      message: `The relay is busy: ${n} of ${m} observables were not searched; try again in a few seconds.`,
    });

    it('searches the observables that fit half of RELAY_MAX_PENDING_SEARCHES, in request order', async () => {
      await start({ RELAY_MAX_PENDING_SEARCHES: '5' });
      // Half of 5 is 2 units: one observable's two searches.
      const response = await observe([SHA256, MUTEX]);
      expect(sightingsOf(response)).toEqual([
        ...SHA256_SIGHTINGS.active,
        ...SHA256_SIGHTINGS.historical,
      ]);
      expect(response.errors).toEqual([busy(1, 2)]);
      expect(searches()).toEqual([
        'historical file.hash.sha256: "52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786"',
        'true file.hash.sha256: "52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786"',
      ]);
    });

    it('counts units process-wide, and gives them back as requests end', async () => {
      await start({
        RELAY_MAX_PENDING_SEARCHES: '4',
        RELAY_DEADLINE_MS: '1000',
        QUALYS_SUBSCRIPTION_CONCURRENCY: '4',
      });
      qualys.simulator.injectFault({ on: 'search', kind: 'hang', times: 4 });
      const holding = [observe(md5s(1, 'a')), observe(md5s(1, 'b'))];
      expect(await eventually(() => qualys.simulator.stats.searchCalls === 4)).toBe(true);
      // Every unit is reserved: a third request searches nothing, at once.
      expect(await observe([SHA256])).toEqual({ errors: [busy(1, 1)] });
      expect(qualys.simulator.stats.searchCalls).toBe(4);
      await Promise.all(holding);
      expect(sightingsOf(await observe([SHA256]))).toEqual([
        ...SHA256_SIGHTINGS.active,
        ...SHA256_SIGHTINGS.historical,
      ]);
    });

    it('stops the answer at RELAY_MAX_ANSWER_MB in request order, after the fatal errors, without searching the rest', async () => {
      // Full pages of 100 events: a few hundred KB of CTIM per observable.
      // Two searches at a time, so the searches of later observables wait.
      await start({ RELAY_MAX_ANSWER_MB: '1', QUALYS_CONCURRENCY: '2' }, { eventsPerSearch: 100 });
      const observables = md5s(10);
      qualys.simulator.injectFault({
        on: 'search',
        kind: 'status',
        status: 403,
        match: { filterIncludes: observables[0].value },
      });
      const response = await observe(observables);
      const answered = [...new Set(sightingsOf(response).map((line) => line.split(' ')[0]))];
      const kept = answered.length;
      expect(kept).toBeGreaterThan(0);
      expect(answered).toEqual(observables.slice(1, 1 + kept).map((o) => o.value));
      const leftOut = observables.length - 1 - kept;
      expect(leftOut).toBeGreaterThan(0);
      expect(response.errors).toEqual([
        { type: 'fatal', code: 'permission denied', message: 'Forbidden' },
        {
          type: 'warning',
          code: 'too many entities',
          message: `The answer reached its size limit; ${leftOut} of 10 observables were left out. Send fewer observables or lower CTR_ENTITIES_LIMIT.`,
        },
      ]);
      expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(1024 * 1024);
      // The observable that did not fit was searched; at most one search beyond it started.
      expect(qualys.simulator.stats.searchCalls).toBeLessThanOrEqual(2 * (kept + 2) + 1);
      expect(qualys.simulator.stats.searchCalls).toBeLessThan(2 * observables.length);
    });
  });
});
