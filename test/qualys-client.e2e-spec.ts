import { afterEach, describe, expect, it } from '@jest/globals';
import type { Env } from '../src/config/config-parser.js';
import { seriesOf } from './support/prometheus-text.js';
import { startQualysModule, type QualysModuleHarness } from './support/qualys-module-harness.js';
import { eventually, sleep } from './support/timing.js';
import { SIMULATOR_EVENTS, SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { AuthorizationError, RelayError } from '../src/common/relay-error.js';
import { QualysLimits } from '../src/qualys/limits/qualys-limits.js';
import {
  QualysClient,
  SearchDeadlineError,
  type SearchOptions,
} from '../src/qualys/qualys.client.js';
import { buildSearchFilter } from '../src/qualys/search-filter.js';

const SHA256 = { type: 'sha256', value: SIMULATOR_VALUES.sha256 } as const;
const FILTER = buildSearchFilter(SHA256);

/** The data set's active events of `SHA256`, as the simulator serves them. */
const ACTIVE_SHA256_EVENTS = SIMULATOR_EVENTS.filter(
  ({ active, event }) => active && event.file?.sha256 === SHA256.value,
).map(({ event }) => event);

/** Retries without back-off waits, generous timeouts: each test narrows what it exercises. */
const DEFAULT_ENV: Env = {
  QUALYS_RETRIES: '2',
  QUALYS_TIMEOUT_MS: '3000',
  QUALYS_BUDGET_MS: '5000',
  RELAY_DEADLINE_MS: '8000',
};
const NO_WAIT = { 'Retry-After': '0' };

function connectionError(apiUrl: string): RelayError {
  return new RelayError(
    'connection error',
    `Unable to connect to Qualys IOC, validate the configured API URL: ${apiUrl}`,
  );
}

/** What a promise rejected with, as its class and the relay envelope's item. */
async function failureOf(promise: Promise<unknown>): Promise<[unknown, unknown]> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  return [
    (error as object).constructor,
    error instanceof RelayError ? error.toItem() : (error as Error).message,
  ];
}

describe('QualysClient against the Qualys simulator', () => {
  let qualys: QualysModuleHarness;
  let client: QualysClient;

  async function start(env: Env = {}): Promise<void> {
    qualys = await startQualysModule({ ...DEFAULT_ENV, ...env });
    client = qualys.app.get(QualysClient);
  }
  afterEach(() => qualys.close());

  /** One search in its own relay request, active events of `SHA256` by default: its events. */
  async function search(options: Partial<SearchOptions> = {}) {
    return (await answered(options)).events;
  }

  /** The same search's whole result: events and when Qualys answered. */
  async function answered(options: Partial<SearchOptions> = {}) {
    const request = client.beginRequest();
    try {
      const found = await client.searchEvents(qualys.relayContext(), {
        active: true,
        pageSize: 10,
        filter: FILTER,
        request,
        ...options,
      });
      return found;
    } finally {
      request.end();
    }
  }

  /** `relay_qualys_calls_total`, by `operation="…",outcome="…"`. */
  async function calls(): Promise<Record<string, number>> {
    return seriesOf(await qualys.metrics.exposition(), 'relay_qualys_calls_total');
  }

  describe('a search', () => {
    it('asks for the filter and page with the caller’s token, and answers the events', async () => {
      await start();
      expect(await search()).toEqual(ACTIVE_SHA256_EVENTS);

      const [auth, events] = qualys.simulator.stats.requests;
      expect([auth.method, auth.path]).toEqual(['POST', '/auth']);
      expect([events.method, events.path, events.query]).toEqual([
        'GET',
        '/ioc/events',
        { filter: FILTER, pageSize: '10', state: 'true' },
      ]);
      expect(events.headers).toMatchObject({
        authorization: expect.stringMatching(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/),
        accept: 'application/json',
        'user-agent': expect.stringMatching(/^qualys-ioc-relay\/\d+\.\d+\.\d+/),
      });
    });

    it('leaves out state=true for historical events', async () => {
      await start();
      await search({ active: false });
      const [, events] = qualys.simulator.stats.requests;
      expect(events.query).toEqual({ filter: FILTER, pageSize: '10' });
    });

    it('reads 400 and 404 as "nothing found"', async () => {
      await start();
      qualys.simulator.injectFault({ on: 'search', kind: 'status', status: 400, times: 1 });
      qualys.simulator.injectFault({ on: 'search', kind: 'status', status: 404, times: 1 });
      expect([await search(), await search()]).toEqual([[], []]);
      expect(await calls()).toEqual({
        'operation="auth",outcome="success"': 1,
        'operation="search",outcome="not_found"': 2,
      });
    });

    it('does not read a 404 from /auth as "nothing found"', async () => {
      await start();
      qualys.simulator.injectFault({ on: 'auth', kind: 'status', status: 404 });
      expect(await failureOf(search())).toEqual([
        RelayError,
        {
          type: 'fatal',
          code: 'unknown',
          message: 'Unexpected response from Qualys IOC: Not Found',
        },
      ]);
      expect(qualys.simulator.stats.searchCalls).toBe(0);
    });
  });

  describe('the token', () => {
    it('is fetched once for concurrent searches and reused by later ones', async () => {
      await start();
      await Promise.all([search(), search({ active: false }), search({ pageSize: 5 })]);
      await search();
      expect(qualys.simulator.stats.authCalls).toBe(1);
      expect(
        seriesOf(await qualys.metrics.exposition(), 'relay_qualys_token_cache_lookups_total'),
      ).toEqual({ 'result="hit"': 1, 'result="miss"': 1, 'result="shared"': 2 });
    });

    it('is refreshed once after a 401, and the search answers', async () => {
      await start();
      await search();
      qualys.simulator.revokeTokens();
      expect(await search()).toEqual(ACTIVE_SHA256_EVENTS);
      expect(qualys.simulator.stats.authCalls).toBe(2);
      expect(await calls()).toEqual({
        'operation="auth",outcome="success"': 2,
        'operation="search",outcome="success"': 2,
        'operation="search",outcome="unauthorized"': 1,
      });
    });

    it('is refreshed only once: a second 401 is an authorization error quoting Qualys', async () => {
      await start();
      qualys.simulator.injectFault({
        on: 'search',
        kind: 'status',
        status: 401,
        body: '{"authentication_exceptions":["TokenExpiredException"]}',
      });
      expect(await failureOf(search())).toEqual([
        AuthorizationError,
        {
          type: 'fatal',
          code: 'authorization error',
          message: 'Authorization failed: TokenExpiredException',
        },
      ]);
      expect([qualys.simulator.stats.authCalls, qualys.simulator.stats.searchCalls]).toEqual([
        2, 2,
      ]);
    });
  });

  describe('retries', () => {
    it('retries a 503 and a 429 within QUALYS_RETRIES, then answers', async () => {
      await start();
      qualys.simulator.injectFault({
        on: 'search',
        kind: 'status',
        status: 503,
        times: 1,
        headers: NO_WAIT,
      });
      qualys.simulator.injectFault({
        on: 'search',
        kind: 'status',
        status: 429,
        times: 1,
        headers: NO_WAIT,
      });
      expect(await search()).toEqual(ACTIVE_SHA256_EVENTS);
      expect(await calls()).toEqual({
        'operation="auth",outcome="success"': 1,
        'operation="search",outcome="unavailable"': 1,
        'operation="search",outcome="rate_limited"': 1,
        'operation="search",outcome="success"': 1,
      });
      expect(seriesOf(await qualys.metrics.exposition(), 'relay_qualys_refusals_total')).toEqual({
        'kind="other"': 1,
      });
    });

    it('gives up after QUALYS_RETRIES retries with the error of the last answer', async () => {
      await start({ QUALYS_RETRIES: '2' });
      qualys.simulator.injectFault({ on: 'search', kind: 'status', status: 503, headers: NO_WAIT });
      expect(await failureOf(search())).toEqual([
        RelayError,
        {
          type: 'fatal',
          code: 'service unavailable',
          message: 'Service temporarily unavailable. Please try again later.',
        },
      ]);
      expect(qualys.simulator.stats.searchCalls).toBe(3);
    });

    it('does not wait longer than the budget: a wait that does not fit answers at once', async () => {
      await start({ QUALYS_BUDGET_MS: '1000' });
      qualys.simulator.injectFault({
        on: 'search',
        kind: 'status',
        status: 503,
        headers: { 'Retry-After': '5' },
      });
      const started = Date.now();
      const [type, item] = await failureOf(search());
      expect(Date.now() - started).toBeLessThan(1000);
      expect([type, (item as { code: string }).code]).toEqual([RelayError, 'service unavailable']);
      expect(qualys.simulator.stats.searchCalls).toBe(1);
    });
  });

  describe('ending early', () => {
    it("stops a hanging search when the caller's signal aborts, and leaves the connection", async () => {
      await start();
      qualys.simulator.injectFault({ on: 'search', kind: 'hang' });
      const abandon = new AbortController();
      const pending = search({ signal: abandon.signal });
      expect(await eventually(() => qualys.simulator.stats.searchCalls === 1)).toBe(true);

      const aborted = Date.now();
      abandon.abort();
      expect(await failureOf(pending)).toEqual([
        RelayError,
        connectionError(qualys.simulator.url).toItem(),
      ]);
      expect(Date.now() - aborted).toBeLessThan(500);
      // The simulator sees the client go away: the hanging search ends without an answer.
      expect(
        await eventually(() => qualys.simulator.stats.searches[0]?.endedAt !== undefined),
      ).toBe(true);
      expect(qualys.simulator.stats.searches[0].status).toBeUndefined();
    });

    it('times a call out after QUALYS_TIMEOUT_MS as a connection error, without retrying it', async () => {
      await start({ QUALYS_TIMEOUT_MS: '200' });
      qualys.simulator.injectFault({ on: 'search', kind: 'hang' });
      expect(await failureOf(search())).toEqual([
        RelayError,
        connectionError(qualys.simulator.url).toItem(),
      ]);
      expect(qualys.simulator.stats.searchCalls).toBe(1);
      expect(await calls()).toEqual({
        'operation="auth",outcome="success"': 1,
        'operation="search",outcome="connection_error"': 1,
      });
    });

    it("reports a search unfinished at its request's deadline as SearchDeadlineError", async () => {
      await start({ RELAY_DEADLINE_MS: '1000', QUALYS_BUDGET_MS: '1000' });
      qualys.simulator.injectFault({ on: 'search', kind: 'hang' });
      const failure = await search().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SearchDeadlineError);
      expect((failure as SearchDeadlineError).waitingForLimits).toBe(false);
    });
  });

  describe('the memory budget (spec §15)', () => {
    it('reports the decoded bytes of the answer and gives its room back once it settled', async () => {
      await start({ RELAY_MEMORY_BUDGET_MB: '1' });
      const found = await answered();
      expect(found).toEqual({
        events: ACTIVE_SHA256_EVENTS,
        bytes: JSON.stringify(ACTIVE_SHA256_EVENTS).length,
        fetchedAt: found.fetchedAt,
      });
      expect(qualys.app.get(QualysLimits).memory.used).toBe(0);
    });

    it('makes a call wait for room before it is sent; at the deadline that is waiting for limits', async () => {
      await start({
        RELAY_MEMORY_BUDGET_MB: '1',
        RELAY_DEADLINE_MS: '1500',
        QUALYS_BUDGET_MS: '1500',
      });
      // A page of 1000 claims more than the whole budget: it goes alone, and
      // hangs; the second search waits for room and is never sent.
      qualys.simulator.injectFault({ on: 'search', kind: 'hang', match: { active: true } });
      const request = client.beginRequest();
      try {
        const searches = [true, false].map((active) =>
          client
            .searchEvents(qualys.relayContext(), {
              active,
              pageSize: 1000,
              filter: FILTER,
              request,
            })
            .catch((error: unknown) => error),
        );
        const [hanging, waiting] = await Promise.all(searches);
        expect([hanging, waiting]).toEqual([
          new SearchDeadlineError(false),
          new SearchDeadlineError(true),
        ]);
        expect([
          (hanging as SearchDeadlineError).waitingForLimits,
          (waiting as SearchDeadlineError).waitingForLimits,
        ]).toEqual([false, true]);
      } finally {
        request.end();
      }
      const sent = qualys.simulator.stats.requests.filter((call) => call.method === 'GET');
      expect(sent.map((call) => call.query.state ?? 'historical')).toEqual(['true']);
      expect(qualys.app.get(QualysLimits).memory.used).toBe(0);
    });
  });

  describe('checkAccess (POST /health)', () => {
    it('asks Qualys every time, even with a result cache', async () => {
      await start({ QUALYS_CACHE_TTL_SEC: '60' });
      await client.checkAccess(qualys.relayContext());
      await client.checkAccess(qualys.relayContext());
      const searches = qualys.simulator.stats.requests.filter((r) => r.method === 'GET');
      expect(searches.map((r) => r.query)).toEqual([
        { pageSize: '1', state: 'true' },
        { pageSize: '1', state: 'true' },
      ]);
      expect(qualys.simulator.stats.searches.map((s) => s.user)).toEqual([
        SIMULATOR_USER,
        SIMULATOR_USER,
      ]);
    });

    it('while a plain search is served from that cache the second time', async () => {
      await start({ QUALYS_CACHE_TTL_SEC: '60' });
      expect([await search(), await search()]).toEqual([
        ACTIVE_SHA256_EVENTS,
        ACTIVE_SHA256_EVENTS,
      ]);
      expect(qualys.simulator.stats.searchCalls).toBe(1);
    });

    it('answers when Qualys answered: now for a call, the fetch time for a cached answer', async () => {
      await start({ QUALYS_CACHE_TTL_SEC: '60' });
      const before = Date.now();
      const fetched = await answered();
      const after = Date.now();
      expect(fetched.fetchedAt).toBeGreaterThanOrEqual(before);
      expect(fetched.fetchedAt).toBeLessThanOrEqual(after);
      await sleep(20);
      expect(await answered()).toEqual(fetched);
      expect(qualys.simulator.stats.searchCalls).toBe(1);
    });
  });
});
