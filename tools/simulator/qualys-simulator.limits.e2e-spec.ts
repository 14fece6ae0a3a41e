import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { SIMULATOR_VALUES } from './dataset.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
} from './qualys-simulator.js';
import { SimulatorClient } from './simulator-client.js';
import { DEFAULT_LIMIT_SETTINGS, epochMs } from './subscription-limits.js';

const FILTER = `file.hash.md5: "${SIMULATOR_VALUES.md5}"`;
const OTHER_USER = 'second-user';
const OTHER_PASSWORD = 'second&pass';

/** The limit headers of spec §9 an answer carries, by lower-case name. */
function limitHeaders(response: Response): Record<string, string> {
  return Object.fromEntries(
    [...response.headers].filter(([name]) => /^x-(ratelimit|concurrency-?limit)-/.test(name)),
  );
}

async function answer(response: Response) {
  return { status: response.status, headers: limitHeaders(response), body: await response.text() };
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('Qualys simulator: subscription limits', () => {
  let simulator: QualysSimulator;
  let client: SimulatorClient;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    simulator = await startQualysSimulator({
      credentials: { [SIMULATOR_USER]: SIMULATOR_PASSWORD, [OTHER_USER]: OTHER_PASSWORD },
    });
    client = new SimulatorClient(simulator.url);
    token = await client.requestToken();
    otherToken = await client.requestToken(OTHER_USER, OTHER_PASSWORD);
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => {
    simulator.setLimits({ ...DEFAULT_LIMIT_SETTINGS });
    simulator.clearFaults();
    simulator.setLatency(0);
    simulator.resetStats();
  });

  function search(
    options: { bearer?: string; query?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const query = new URLSearchParams({ filter: FILTER, ...options.query }).toString();
    return fetch(`${simulator.url}/ioc/events?${query}`, {
      headers: { Authorization: `Bearer ${options.bearer ?? token}` },
      signal: options.signal,
    });
  }

  async function auth(): Promise<Response> {
    return fetch(`${simulator.url}/auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        username: SIMULATOR_USER,
        password: SIMULATOR_PASSWORD,
        token: 'true',
      }).toString(),
    });
  }

  /**
   * Starts `count` searches that hang (running until released), waits until
   * the simulator sees them running, and answers the function that ends them.
   */
  async function hold(count: number, bearer = token): Promise<() => Promise<void>> {
    const before = simulator.stats.runningSearches.overall;
    simulator.injectFault({ on: 'search', kind: 'hang', times: count });
    const controller = new AbortController();
    const pending = Array.from({ length: count }, () =>
      search({ bearer, signal: controller.signal }).then(
        () => 'answered',
        () => 'aborted',
      ),
    );
    await waitFor(() => simulator.stats.runningSearches.overall === before + count);
    return async () => {
      const after = simulator.stats.runningSearches.overall - count;
      controller.abort();
      expect(await Promise.all(pending)).toEqual(Array(count).fill('aborted'));
      await waitFor(() => simulator.stats.runningSearches.overall === after);
    };
  }

  it('adds no limit header when no limit is set', async () => {
    const response = await search();
    expect([response.status, limitHeaders(response)]).toEqual([200, {}]);
  });

  it('refuses a search beyond the concurrency limit at once, with the limit headers', async () => {
    simulator.setLimits({ concurrencyLimit: 2 });
    const release = await hold(2);
    // A refusal does not wait the latency of a real answer.
    simulator.setLatency(3000);
    const started = performance.now();
    const refused = await search();
    expect(performance.now() - started).toBeLessThan(3000);
    expect(await answer(refused)).toEqual({
      status: 429,
      headers: { 'x-concurrencylimit-limit': '2', 'x-concurrencylimit-running': '2' },
      body: 'Too Many Requests: concurrency limit of 2 calls reached',
    });
    simulator.setLatency(0);
    await release();

    const admitted = await search();
    expect([admitted.status, limitHeaders(admitted)]).toEqual([
      200,
      { 'x-concurrencylimit-limit': '2', 'x-concurrencylimit-running': '1' },
    ]);
    expect(simulator.stats.refusals).toEqual({ concurrency: 1, rate: 0 });
  });

  it('answers 409 and the other header spelling when told to', async () => {
    simulator.setLimits({
      concurrencyLimit: 1,
      refusalStatus: 409,
      concurrencyHeaderSpelling: 'X-Concurrency-Limit-*',
    });
    const release = await hold(1);
    expect(await answer(await search())).toEqual({
      status: 409,
      headers: { 'x-concurrency-limit-limit': '1', 'x-concurrency-limit-running': '1' },
      body: 'Conflict: concurrency limit of 1 calls reached',
    });
    await release();
  });

  it('limits each user on its own', async () => {
    simulator.setLimits({ concurrencyLimit: 1 });
    const release = await hold(1);
    const other = await search({ bearer: otherToken });
    expect([other.status, limitHeaders(other)]).toEqual([
      200,
      { 'x-concurrencylimit-limit': '1', 'x-concurrencylimit-running': '1' },
    ]);
    await release();
  });

  it('keeps refusing after the limit is lowered below the searches running', async () => {
    simulator.setLimits({ concurrencyLimit: 3 });
    const release = await hold(3);
    simulator.setLimits({ concurrencyLimit: 1 });
    expect(limitHeaders(await search())).toEqual({
      'x-concurrencylimit-limit': '1',
      'x-concurrencylimit-running': '3',
    });
    await release();
  });

  it('refuses once the rate window is spent, says how long to wait, admits after it', async () => {
    simulator.setLimits({ rateLimit: { calls: 2, windowSec: 1 } });
    const rate = { 'x-ratelimit-limit': '2', 'x-ratelimit-window-sec': '1' };
    const first = await search();
    expect([first.status, limitHeaders(first)]).toEqual([
      200,
      { ...rate, 'x-ratelimit-remaining': '1' },
    ]);
    // The answer that spends the last call already says how long to wait.
    const second = await search();
    expect([second.status, limitHeaders(second)]).toEqual([
      200,
      { ...rate, 'x-ratelimit-remaining': '0', 'x-ratelimit-towait-sec': '1' },
    ]);
    expect(await answer(await search())).toEqual({
      status: 429,
      headers: { ...rate, 'x-ratelimit-remaining': '0', 'x-ratelimit-towait-sec': '1' },
      body: 'Too Many Requests: rate limit of 2 calls per 1 seconds reached',
    });

    await sleep(1000 + 50);
    const later = await search();
    expect([later.status, limitHeaders(later)]).toEqual([
      200,
      { ...rate, 'x-ratelimit-remaining': '1' },
    ]);
    expect(simulator.stats.refusals).toEqual({ concurrency: 0, rate: 1 });
    expect(simulator.stats.searches.map(({ status, refused }) => [status, refused])).toEqual([
      [200, undefined],
      [200, undefined],
      [429, 'rate'],
      [200, undefined],
    ]);
  });

  it('counts the wait from the oldest call in the window, rounded up', async () => {
    simulator.setLimits({ rateLimit: { calls: 2, windowSec: 30 } });
    for (let i = 0; i < 2; i++) await (await search()).arrayBuffer();
    const refused = await search();
    const [oldest, , refusal] = simulator.stats.searches;
    const wait = Math.ceil((oldest.startedAt + 30_000 - refusal.startedAt) / 1000);
    expect([refused.status, limitHeaders(refused)]).toEqual([
      429,
      {
        'x-ratelimit-limit': '2',
        'x-ratelimit-window-sec': '30',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-towait-sec': String(wait),
      },
    ]);
  });

  it('gives no wait when rateRefusalWait is false', async () => {
    simulator.setLimits({ rateLimit: { calls: 1, windowSec: 60 }, rateRefusalWait: false });
    const spent = { 'x-ratelimit-limit': '1', 'x-ratelimit-window-sec': '60' };
    const first = await search();
    expect([first.status, limitHeaders(first)]).toEqual([
      200,
      { ...spent, 'x-ratelimit-remaining': '0' },
    ]);
    const refused = await search();
    expect([refused.status, limitHeaders(refused)]).toEqual([
      429,
      { ...spent, 'x-ratelimit-remaining': '0' },
    ]);
  });

  it('spends no call on a search refused for concurrency', async () => {
    simulator.setLimits({ concurrencyLimit: 1, rateLimit: { calls: 2, windowSec: 60 } });
    const release = await hold(1);
    expect(await answer(await search())).toEqual({
      status: 429,
      headers: {
        'x-ratelimit-limit': '2',
        'x-ratelimit-window-sec': '60',
        'x-ratelimit-remaining': '1',
        'x-concurrencylimit-limit': '1',
        'x-concurrencylimit-running': '1',
      },
      body: 'Too Many Requests: concurrency limit of 1 calls reached',
    });
    await release();
    const admitted = await search();
    expect([admitted.status, limitHeaders(admitted)['x-ratelimit-remaining']]).toEqual([200, '0']);
    expect((await search()).status).toBe(429);
    expect(simulator.stats.refusals).toEqual({ concurrency: 1, rate: 1 });
  });

  it('exempts /auth from both limits', async () => {
    simulator.setLimits({ concurrencyLimit: 1, rateLimit: { calls: 2, windowSec: 60 } });
    const release = await hold(1);
    for (let i = 0; i < 3; i++) {
      const response = await auth();
      expect([response.status, limitHeaders(response)]).toEqual([201, {}]);
      await response.text();
    }
    await release();
    // One call spent by the held search, one by this one: none by /auth.
    const admitted = await search();
    expect([admitted.status, limitHeaders(admitted)['x-ratelimit-remaining']]).toEqual([200, '0']);
    expect(simulator.stats.refusals).toEqual({ concurrency: 0, rate: 0 });
  });

  it("puts the headers on every search answer, under a fault's own", async () => {
    simulator.setLimits({ concurrencyLimit: 3, rateLimit: { calls: 10, windowSec: 60 } });
    const headers = (remaining: number) => ({
      'x-ratelimit-limit': '10',
      'x-ratelimit-window-sec': '60',
      'x-ratelimit-remaining': String(remaining),
      'x-concurrencylimit-limit': '3',
      'x-concurrencylimit-running': '1',
    });
    const badState = await search({ query: { state: 'yes' } });
    expect([badState.status, limitHeaders(badState)]).toEqual([400, headers(9)]);

    simulator.injectFault({ on: 'search', kind: 'status', status: 404, times: 1 });
    const notFound = await search();
    expect([notFound.status, limitHeaders(notFound)]).toEqual([404, headers(8)]);

    simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 503,
      headers: { 'X-ConcurrencyLimit-Limit': '8' },
      times: 1,
    });
    const unavailable = await search();
    expect([unavailable.status, limitHeaders(unavailable)]).toEqual([
      503,
      { ...headers(7), 'x-concurrencylimit-limit': '8' },
    ]);

    // A search without a valid token belongs to no user: limits only, and nothing spent.
    const unauthorized = await search({ bearer: 'not-a-token' });
    expect([unauthorized.status, limitHeaders(unauthorized)]).toEqual([
      401,
      {
        'x-ratelimit-limit': '10',
        'x-ratelimit-window-sec': '60',
        'x-concurrencylimit-limit': '3',
      },
    ]);
    const found = await search();
    expect([found.status, limitHeaders(found)]).toEqual([200, headers(6)]);
  });

  it('counts running searches and peaks per user and overall, and logs every search', async () => {
    simulator.setLimits({ concurrencyLimit: 1 });
    const from = epochMs();
    const releaseFirst = await hold(1);
    const releaseOther = await hold(1, otherToken);
    expect(simulator.stats.runningSearches).toEqual({
      overall: 2,
      byUser: { [SIMULATOR_USER]: 1, [OTHER_USER]: 1 },
    });
    expect((await search()).status).toBe(429);
    await releaseFirst();
    await releaseOther();
    const to = epochMs();

    const stats = simulator.stats;
    expect({
      runningSearches: stats.runningSearches,
      peakRunningSearches: stats.peakRunningSearches,
      refusals: stats.refusals,
      searchCalls: stats.searchCalls,
    }).toEqual({
      runningSearches: { overall: 0, byUser: {} },
      peakRunningSearches: { overall: 2, byUser: { [SIMULATOR_USER]: 1, [OTHER_USER]: 1 } },
      refusals: { concurrency: 1, rate: 0 },
      searchCalls: 3,
    });
    // The held searches were never answered: they ended when their client left.
    expect(stats.searches.map(({ user, status, refused }) => ({ user, status, refused }))).toEqual([
      { user: SIMULATOR_USER },
      { user: OTHER_USER },
      { user: SIMULATOR_USER, status: 429, refused: 'concurrency' },
    ]);
    for (const { startedAt, endedAt } of stats.searches) {
      expect([from <= startedAt, startedAt <= endedAt!, endedAt! <= to]).toEqual([
        true,
        true,
        true,
      ]);
    }

    simulator.resetStats();
    expect({
      peakRunningSearches: simulator.stats.peakRunningSearches,
      refusals: simulator.stats.refusals,
      searches: simulator.stats.searches,
    }).toEqual({
      peakRunningSearches: { overall: 0, byUser: {} },
      refusals: { concurrency: 0, rate: 0 },
      searches: [],
    });
  });

  it('logs a running search without an end; a reset starts peaks from what runs', async () => {
    const release = await hold(1);
    expect(simulator.stats.searches).toStrictEqual([
      { user: SIMULATOR_USER, startedAt: expect.any(Number) },
    ]);
    simulator.resetStats();
    expect(simulator.stats.peakRunningSearches).toEqual({
      overall: 1,
      byUser: { [SIMULATOR_USER]: 1 },
    });
    await release();
    // It started before the reset, so the fresh log does not hold it.
    expect(simulator.stats.searches).toEqual([]);
  });
});

describe('Qualys simulator: limits from options', () => {
  it('takes every limit setting from its options', async () => {
    const simulator = await startQualysSimulator({
      concurrencyLimit: 2,
      rateLimit: { calls: 300, windowSec: 3600 },
      refusalStatus: 409,
      concurrencyHeaderSpelling: 'X-Concurrency-Limit-*',
      rateRefusalWait: false,
    });
    try {
      expect(simulator.limits).toEqual({
        concurrencyLimit: 2,
        rateLimit: { calls: 300, windowSec: 3600 },
        refusalStatus: 409,
        concurrencyHeaderSpelling: 'X-Concurrency-Limit-*',
        rateRefusalWait: false,
      });
    } finally {
      await simulator.close();
    }
  });

  it('refuses invalid settings before listening', async () => {
    await expect(startQualysSimulator({ concurrencyLimit: 0 })).rejects.toThrow(
      "'concurrencyLimit' must be a positive integer or null",
    );
  });

  it('keeps the search log as short as the request log', async () => {
    const simulator = await startQualysSimulator({ maxRecordedRequests: 2 });
    try {
      const token = await new SimulatorClient(simulator.url).requestToken();
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${simulator.url}/ioc/events?filter=x`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        await response.arrayBuffer();
      }
      expect([simulator.stats.searchCalls, simulator.stats.searches.length]).toEqual([3, 2]);
    } finally {
      await simulator.close();
    }
  });
});
