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

  async function start(env: Env = {}): Promise<void> {
    qualys = await startQualysModule(
      { QUALYS_RETRIES: '0', RELAY_DEADLINE_MS: '5000', ...env },
      {},
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
});
