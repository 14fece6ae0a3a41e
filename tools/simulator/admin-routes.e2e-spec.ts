import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { isLoopbackAddress } from './admin-routes.js';
import { SIMULATOR_VALUES } from './dataset.js';
import { SIMULATOR_USER, startQualysSimulator, type QualysSimulator } from './qualys-simulator.js';
import { SimulatorClient } from './simulator-client.js';
import { DEFAULT_LIMIT_SETTINGS } from './subscription-limits.js';

const FILTER = `file.hash.md5: "${SIMULATOR_VALUES.md5}"`;

describe('Qualys simulator: admin endpoints', () => {
  let simulator: QualysSimulator;
  let client: SimulatorClient;

  beforeAll(async () => {
    simulator = await startQualysSimulator();
    client = new SimulatorClient(simulator.url);
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => {
    simulator.clearFaults();
    simulator.setLatency(0);
    simulator.setLimits({ ...DEFAULT_LIMIT_SETTINGS });
    simulator.resetStats();
  });

  function admin(method: string, route: string, body?: string): Promise<Response> {
    return fetch(`${simulator.url}/__simulator/${route}`, { method, body });
  }

  async function search(token: string): Promise<number> {
    const response = await fetch(
      `${simulator.url}/ioc/events?filter=${encodeURIComponent(FILTER)}`,
      {
        headers: { Authorization: `Bearer ${token}` },
      },
    );
    await response.arrayBuffer();
    return response.status;
  }

  it('GET stats answers the counters and requests, without recording admin calls', async () => {
    const token = await client.requestToken();
    expect(await search(token)).toBe(200);
    const response = await admin('GET', 'stats');
    expect(response.headers.get('content-type')).toBe('application/json');
    const stats = (await response.json()) as Awaited<ReturnType<SimulatorClient['stats']>>;
    expect({
      authCalls: stats.authCalls,
      searchCalls: stats.searchCalls,
      requests: stats.requests.map((request) => [request.method, request.path, request.query]),
    }).toEqual({
      authCalls: 1,
      searchCalls: 1,
      requests: [
        ['POST', '/auth', {}],
        ['GET', '/ioc/events', { filter: FILTER }],
      ],
    });
  });

  it('DELETE stats resets them', async () => {
    await client.requestToken();
    const response = await admin('DELETE', 'stats');
    expect([response.status, await response.text()]).toEqual([204, '']);
    expect(await client.stats()).toEqual({
      authCalls: 0,
      searchCalls: 0,
      batchedSearchCalls: 0,
      requests: [],
      searches: [],
      runningSearches: { overall: 0, byUser: {} },
      peakRunningSearches: { overall: 0, byUser: {} },
      refusals: { concurrency: 0, rate: 0 },
    });
  });

  it('GET stats answers the limit counters and the search log', async () => {
    await client.setLimits({ rateLimit: { calls: 1, windowSec: 60 } });
    const token = await client.requestToken();
    expect([await search(token), await search(token)]).toEqual([200, 429]);
    const stats = await client.stats();
    expect({
      runningSearches: stats.runningSearches,
      peakRunningSearches: stats.peakRunningSearches,
      refusals: stats.refusals,
      searches: stats.searches.map(({ user, status, refused }) => ({ user, status, refused })),
    }).toEqual({
      runningSearches: { overall: 0, byUser: {} },
      peakRunningSearches: { overall: 1, byUser: { [SIMULATOR_USER]: 1 } },
      refusals: { concurrency: 0, rate: 1 },
      searches: [
        { user: SIMULATOR_USER, status: 200 },
        { user: SIMULATOR_USER, status: 429, refused: 'rate' },
      ],
    });
    expect(stats.searches.every(({ startedAt, endedAt }) => startedAt <= endedAt!)).toBe(true);
  });

  it('GET limits answers the limits in force: unlimited by default', async () => {
    const response = await admin('GET', 'limits');
    expect([response.status, await response.json()]).toEqual([
      200,
      {
        concurrencyLimit: null,
        rateLimit: null,
        refusalStatus: 429,
        concurrencyHeaderSpelling: 'X-ConcurrencyLimit-*',
        rateRefusalWait: true,
      },
    ]);
  });

  it('PATCH limits changes what it names and answers the limits in force', async () => {
    const response = await admin(
      'PATCH',
      'limits',
      JSON.stringify({ concurrencyLimit: 2, rateLimit: { calls: 300, windowSec: 3600 } }),
    );
    const expected = {
      concurrencyLimit: 2,
      rateLimit: { calls: 300, windowSec: 3600 },
      refusalStatus: 429,
      concurrencyHeaderSpelling: 'X-ConcurrencyLimit-*',
      rateRefusalWait: true,
    };
    expect([response.status, await response.json()]).toEqual([200, expected]);
    expect(simulator.limits).toEqual(expected);

    const more = await admin(
      'PATCH',
      'limits',
      JSON.stringify({
        rateLimit: null,
        refusalStatus: 409,
        concurrencyHeaderSpelling: 'X-Concurrency-Limit-*',
        rateRefusalWait: false,
      }),
    );
    expect(await more.json()).toEqual({
      concurrencyLimit: 2,
      rateLimit: null,
      refusalStatus: 409,
      concurrencyHeaderSpelling: 'X-Concurrency-Limit-*',
      rateRefusalWait: false,
    });
  });

  it.each([
    ['{concurrencyLimit:', 'Body must be valid JSON'],
    ['[]', 'limits must be a JSON object'],
    ['{"concurrency":2}', "unknown limit setting 'concurrency'"],
    ['{"concurrencyLimit":-1}', "'concurrencyLimit' must be a positive integer or null"],
    ['{"refusalStatus":"429"}', "'refusalStatus' must be one of 429, 409"],
  ])('PATCH limits refuses %s with 400 and changes nothing', async (body, message) => {
    const response = await admin('PATCH', 'limits', body);
    expect([response.status, await response.text()]).toEqual([400, message]);
    expect(simulator.limits).toEqual(DEFAULT_LIMIT_SETTINGS);
  });

  it('POST faults injects a fault and answers the stored spec; DELETE faults clears', async () => {
    const token = await client.requestToken();
    const response = await admin(
      'POST',
      'faults',
      JSON.stringify({
        on: 'search',
        kind: 'status',
        status: 503,
        headers: { 'Retry-After': '1' },
      }),
    );
    expect([response.status, await response.json()]).toEqual([
      201,
      { on: 'search', kind: 'status', status: 503, headers: { 'Retry-After': '1' } },
    ]);
    expect(await search(token)).toBe(503);
    expect(await search(token)).toBe(503);
    const cleared = await admin('DELETE', 'faults');
    expect(cleared.status).toBe(204);
    expect(await search(token)).toBe(200);
  });

  it('POST faults refuses invalid JSON and invalid specs with 400', async () => {
    const badJson = await admin('POST', 'faults', '{on:');
    expect([badJson.status, await badJson.text()]).toEqual([400, 'Body must be valid JSON']);
    const badSpec = await admin(
      'POST',
      'faults',
      JSON.stringify({ on: 'search', kind: 'explode' }),
    );
    expect([badSpec.status, await badSpec.text()]).toEqual([
      400,
      "'kind' must be one of status, malformed-json, json-object, huge-body, gzip-bomb, endless-body, hang, reset, echo-request",
    ]);
    expect(await search(await client.requestToken())).toBe(200);
  });

  it('POST latency delays Qualys answers but not admin ones', async () => {
    const token = await client.requestToken();
    const response = await admin('POST', 'latency', JSON.stringify({ ms: 1500 }));
    expect([response.status, await response.json()]).toEqual([200, { latencyMs: 1500 }]);

    // Order, not timing: an admin call made after a delayed search answers before it.
    const started = performance.now();
    let searched = false;
    const searching = search(token).then((status) => {
      searched = true;
      return status;
    });
    await client.stats();
    expect(searched).toBe(false);
    expect(await searching).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1495);
  });

  it.each(['{"ms":-1}', '{"ms":"5"}', '{"ms":1.5}', '{}', 'null', '5'])(
    'POST latency refuses %s',
    async (body) => {
      const response = await admin('POST', 'latency', body);
      expect([response.status, await response.text()]).toEqual([
        400,
        'Body must be {"ms": <non-negative integer>}',
      ]);
    },
  );

  it('POST revoke-tokens makes every issued token answer 401', async () => {
    const token = await client.requestToken();
    const response = await admin('POST', 'revoke-tokens');
    expect(response.status).toBe(204);
    expect(await search(token)).toBe(401);
  });

  it('POST expire-tokens expires issued tokens after the given delay', async () => {
    const token = await client.requestToken();
    await client.expireTokensIn(0);
    expect(await search(token)).toBe(401);
    expect(await search(await client.requestToken())).toBe(200);
  });

  it('answers 404 to unknown admin routes and 405 to wrong methods', async () => {
    for (const route of ['nope', 'constructor', 'stats/extra']) {
      const response = await admin('GET', route);
      expect([route, response.status, await response.text()]).toEqual([route, 404, 'Not Found']);
    }
    const wrong = await admin('PUT', 'stats');
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'GET, DELETE']);
    const limits = await admin('POST', 'limits', '{}');
    expect([limits.status, limits.headers.get('allow')]).toEqual([405, 'GET, PATCH']);
  });

  it('drives the simulator through SimulatorClient', async () => {
    const token = await client.requestToken();
    await client.injectFault({ on: 'search', kind: 'status', status: 500, times: 1 });
    expect(await search(token)).toBe(500);
    await client.setLatency(0);
    await client.clearFaults();
    await client.revokeTokens();
    expect(await search(token)).toBe(401);
    expect((await client.stats()).searchCalls).toBe(2);
    await client.resetStats();
    expect((await client.stats()).searchCalls).toBe(0);
    await expect(client.injectFault({ on: 'search', kind: 'status' })).rejects.toThrow(
      "simulator POST faults: 400 'status' must be an integer from 200 to 599",
    );
  });

  it('drives the limits through SimulatorClient', async () => {
    const token = await client.requestToken();
    expect(await client.setLimits({ rateLimit: { calls: 1, windowSec: 60 } })).toEqual({
      ...DEFAULT_LIMIT_SETTINGS,
      rateLimit: { calls: 1, windowSec: 60 },
    });
    expect([await search(token), await search(token)]).toEqual([200, 429]);
    // Naming the rate limit again starts the window afresh.
    await client.setLimits({ rateLimit: { calls: 1, windowSec: 60 } });
    expect(await search(token)).toBe(200);
    expect(await client.limits()).toEqual(simulator.limits);
    await expect(client.setLimits({ concurrencyLimit: 0 })).rejects.toThrow(
      "simulator PATCH limits: 400 'concurrencyLimit' must be a positive integer or null",
    );
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.10.0.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['fe80::1', false],
    [undefined, false],
  ])('%s → %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});
