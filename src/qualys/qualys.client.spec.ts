import { afterEach, describe, expect, it } from '@jest/globals';
import { TEST_RELAY_CONTEXT } from '../../test/support/test-relay-context.js';
import { configServiceOf, testRelayConfig } from '../../test/support/jwt-test-config.js';
import { RelayError } from '../common/relay-error.js';
import type { RelayConfig } from '../config/relay-config.js';
import type { CallDeadline } from './call-deadline.js';
import { LimitedSearch } from './limited-search.js';
import { createLimitStores } from './limits/limit-stores.factory.js';
import { QualysLimits } from './limits/qualys-limits.js';
import { QualysAuthenticator } from './qualys-auth.js';
import type { QualysCallDetails, QualysCallObserver } from './qualys-call-observer.js';
import type { Answer, QualysCaller, SearchCall } from './qualys-call.js';
import {
  QualysClient,
  RelayRequestScope,
  SearchDeadlineError,
  type SearchOptions,
} from './qualys.client.js';
import { classifyStatus } from './qualys-status.js';
import { QualysTokenCache } from './token-cache.js';

/**
 * The client's orchestration over its real layers — the token cache and
 * authenticator, the limits in this process — with a scripted `QualysCaller`
 * in place of HTTP: no socket. test/qualys-client.e2e-spec.ts runs the same
 * client against the Qualys simulator.
 */

const API = TEST_RELAY_CONTEXT.apiUrl;
const TOKEN = 'aaa.bbb.ccc';
const FRESH_TOKEN = 'ddd.eee.fff';
const EVENT = { id: 'e1', type: 'file' };

type Scripted = (call: SearchCall) => Answer | Promise<Answer>;

const answer = (status: number, data = '[]', headers: Record<string, string> = {}): Answer => ({
  response: { status, headers, data },
  statusClass: classifyStatus('search', status),
});
const found = (...events: unknown[]) => answer(200, JSON.stringify(events));

interface Harness {
  client: QualysClient;
  limits: QualysLimits;
  /** Every search call: what it asked and the trace details it was sent with. */
  searches: Array<{ call: SearchCall; details: QualysCallDetails }>;
  auths: number;
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.client.onApplicationShutdown();
  harness = undefined;
});

/** A client whose search calls are answered by `script`, one entry per call, in order. */
function start(script: Scripted[], qualys: Partial<RelayConfig['qualys']> = {}): Harness {
  const config = testRelayConfig({ qualys: { retries: 2, ...qualys } });
  const noop = () => undefined;
  const observer: QualysCallObserver = {
    call: noop,
    tokenLookup: noop,
    searchStarted: () => noop,
    refusal: noop,
    budgetRemaining: noop,
    redisState: noop,
    batchAnswered: noop,
    observableSettled: noop,
    queueDepth: noop,
    cacheLookup: noop,
  };
  const tokens = [TOKEN, FRESH_TOKEN];
  const caller: Pick<QualysCaller, 'auth' | 'search'> = {
    auth: () => {
      created.auths++;
      return Promise.resolve(answer(200, tokens.shift() ?? 'x.y.z'));
    },
    search: (
      _apiUrl: string,
      call: SearchCall,
      _deadline: CallDeadline,
      details: QualysCallDetails,
    ) => {
      created.searches.push({ call, details });
      const next = script.shift();
      if (next === undefined) return Promise.reject(new Error('an unscripted call'));
      return Promise.resolve(next(call));
    },
  };
  const limits = new QualysLimits(createLimitStores(config), config, observer);
  const settings = configServiceOf(config);
  const auth = new QualysAuthenticator(
    settings,
    new QualysTokenCache(),
    caller as QualysCaller,
    observer,
  );
  const created: Harness = {
    client: new QualysClient(
      settings,
      auth,
      new LimitedSearch(settings, auth, caller as QualysCaller, limits),
      limits,
      observer,
    ),
    limits,
    searches: [],
    auths: 0,
  };
  harness = created;
  return created;
}

async function search(client: QualysClient, options: Partial<SearchOptions> = {}) {
  const request = client.beginRequest();
  try {
    return await client.searchEvents(TEST_RELAY_CONTEXT, {
      active: true,
      pageSize: 10,
      filter: 'file.hash.sha256:"x"',
      request,
      ...options,
    });
  } finally {
    request.end();
  }
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );

describe('QualysClient orchestration (no sockets)', () => {
  it('asks for the filter and page with the token, and answers the events it read', async () => {
    const { client, searches, limits } = start([() => found(EVENT, { not: 'x' }, [1], 'text')]);
    const result = await search(client);
    expect(result.events).toEqual([EVENT, { not: 'x' }]);
    expect(searches).toEqual([
      {
        call: {
          url: `${API}/ioc/events`,
          query: { pageSize: '10', filter: 'file.hash.sha256:"x"', state: 'true' },
          token: TOKEN,
        },
        details: { active: true, batchSize: 1, retry: 0, slotWaitMs: expect.any(Number) },
      },
    ]);
    expect(limits.memory.used).toBe(0);
  });

  it('reads 400 and 404 as nothing found, and leaves out state=true for history', async () => {
    const { client, searches } = start([() => answer(400), () => answer(404)]);
    expect([
      (await search(client)).events,
      (await search(client, { active: false })).events,
    ]).toEqual([[], []]);
    expect(searches[1].call.query).toEqual({ pageSize: '10', filter: 'file.hash.sha256:"x"' });
  });

  it('refuses an answer with more events than the page size asked for', async () => {
    const { client } = start([() => found(EVENT, EVENT)]);
    const failure = await failureOf(search(client, { pageSize: 1 }));
    expect((failure as RelayError).toItem()).toEqual({
      type: 'fatal',
      code: 'unknown',
      message: expect.stringContaining('more events than the page size asked for'),
    });
  });

  it('sends a search again with a fresh token after a 401', async () => {
    const { client, searches } = start([() => answer(401), () => found(EVENT)]);
    expect((await search(client)).events).toEqual([EVENT]);
    expect(searches.map(({ call }) => call.token)).toEqual([TOKEN, FRESH_TOKEN]);
  });

  it('puts a call refused for concurrency back at the head without using a retry', async () => {
    const busy = { 'x-concurrencylimit-limit': '2', 'x-concurrencylimit-running': '2' };
    const { client, searches } = start([() => answer(429, '', busy), () => found(EVENT)], {
      retries: 0,
    });
    expect((await search(client)).events).toEqual([EVENT]);
    expect(searches.map(({ details }) => details.retry)).toEqual([0, 0]);
  });

  it('waits out a rate refusal that fits, as a retry', async () => {
    const wait = { 'x-ratelimit-towait-sec': '0' };
    const { client, searches } = start([() => answer(429, '', wait), () => found(EVENT)]);
    expect((await search(client)).events).toEqual([EVENT]);
    expect(searches.map(({ details }) => details.retry)).toEqual([0, 1]);
  });

  it('blocks the subscription when the rate wait does not fit: this search and the next fail at once', async () => {
    const wait = { 'x-ratelimit-towait-sec': '30' };
    const { client, searches } = start([() => answer(429, '', wait)]);
    const failures = [await failureOf(search(client)), await failureOf(search(client))];
    expect(failures.map((error) => (error as RelayError).toItem())).toEqual(
      Array(2).fill({
        type: 'fatal',
        code: 'too many requests',
        message: 'Qualys IOC API rate limit reached; try again in 30 seconds.',
      }),
    );
    expect(searches).toHaveLength(1);
  });

  it('backs off after a 503 and answers the last error once the retries are spent', async () => {
    const noWait = { 'retry-after': '0' };
    const unavailable = () => answer(503, '', noWait);
    const { client, searches } = start([unavailable, unavailable, unavailable]);
    const failure = await failureOf(search(client));
    expect((failure as RelayError).toItem()).toEqual({
      type: 'fatal',
      code: 'service unavailable',
      message: 'Service temporarily unavailable. Please try again later.',
    });
    expect(searches.map(({ details }) => details.retry)).toEqual([0, 1, 2]);
  });

  it('serves the same search from the cache, and /health never from it', async () => {
    const { client, searches } = start([() => found(EVENT), () => found(EVENT)], {
      cacheTtlMs: 60_000,
    });
    const first = await search(client);
    const second = await search(client, { pageSize: 5 });
    await client.checkAccess(TEST_RELAY_CONTEXT);
    expect([first.events, second.events]).toEqual([[EVENT], [EVENT]]);
    expect(second.fetchedAt).toBe(first.fetchedAt);
    expect(searches.map(({ call }) => call.query)).toEqual([
      { pageSize: '10', filter: 'file.hash.sha256:"x"', state: 'true' },
      { pageSize: '1', state: 'true' },
    ]);
  });

  it('answers SearchDeadlineError when the request’s deadline passes during the call', async () => {
    const never = () => new Promise<Answer>(() => undefined);
    const { client } = start([never]);
    const request = new RelayRequestScope(300);
    const failure = await failureOf(
      client.searchEvents(TEST_RELAY_CONTEXT, { active: true, pageSize: 1, request }),
    );
    request.end();
    expect(failure).toEqual(new SearchDeadlineError(false));
  });
});
