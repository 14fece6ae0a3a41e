import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SIMULATOR_EVENTS, SIMULATOR_VALUES, type SimulatorEvent } from './dataset.js';
import { SimulatorClient } from './simulator-client.js';
import { startQualysSimulator, type QualysSimulator } from './qualys-simulator.js';

const V = SIMULATOR_VALUES;

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/** The data set's events for a predicate, as they should come over the wire. */
function expected(active: boolean, predicate: (event: SimulatorEvent['event']) => boolean) {
  return SIMULATOR_EVENTS.filter((entry) => entry.active === active && predicate(entry.event)).map(
    (entry) => JSON.parse(JSON.stringify(entry.event)) as unknown,
  );
}

function ids(events: unknown): unknown[] {
  return (events as { id: unknown }[]).map((event) => event.id);
}

describe('Qualys simulator: GET /ioc/events', () => {
  let simulator: QualysSimulator;
  let token: string;

  beforeAll(async () => {
    simulator = await startQualysSimulator();
    token = await new SimulatorClient(simulator.url).requestToken();
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => {
    simulator.resetStats();
    simulator.setLatency(0);
  });

  function search(query: Record<string, string>, path = '/ioc/events'): Promise<Response> {
    return fetch(`${simulator.url}${path}?${new URLSearchParams(query).toString()}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    });
  }

  async function searchJson(query: Record<string, string>, path?: string): Promise<unknown> {
    const response = await search(query, path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    return response.json();
  }

  it('answers active events for state=true and historical ones without state', async () => {
    const filter = `file.hash.md5: ${quote(V.md5)}`;
    const isInvoice = (event: SimulatorEvent['event']) => event.file?.md5 === V.md5;
    expect(await searchJson({ filter, state: 'true' })).toEqual(expected(true, isInvoice));
    expect(await searchJson({ filter })).toEqual(expected(false, isInvoice));
    expect(ids(await searchJson({ filter }))).toEqual([
      '5e1a7c01-0000-4000-8000-000000000009',
      '5e1a7c01-0000-4000-8000-000000000010',
    ]);
  });

  it('treats state=false as historical and refuses other states', async () => {
    const filter = `file.hash.md5: ${quote(V.md5)}`;
    expect(await searchJson({ filter, state: 'false' })).toEqual(await searchJson({ filter }));
    const response = await search({ filter, state: 'yes' });
    expect([response.status, await response.text()]).toEqual([
      400,
      'Invalid value for state: expected true or false',
    ]);
  });

  it('serves the same events under /ioc/v1/events', async () => {
    const query = { filter: `handle.name: ${quote(V.mutex)}`, state: 'true' };
    const versioned = await searchJson(query, '/ioc/v1/events');
    expect(ids(versioned)).toEqual(['5e1a7c01-0000-4000-8000-000000000004']);
    expect(versioned).toEqual(await searchJson(query));
  });

  it('matches the ip form on local and remote addresses', async () => {
    const filter = `network.local.address.ip: "${V.ip}" or network.remote.address.ip: "${V.ip}"`;
    expect(ids(await searchJson({ filter, state: 'true' }))).toEqual([
      '5e1a7c01-0000-4000-8000-000000000003',
      '5e1a7c01-0000-4000-8000-000000000005',
    ]);
  });

  it('finds a file name with an escaped quote and backslash', async () => {
    const events = await searchJson({
      filter: `file.name: ${quote(V.quotedFileName)}`,
      state: 'true',
    });
    expect(events).toEqual(expected(true, (event) => event.file?.fileName === V.quotedFileName));
    expect(events).toHaveLength(1);
  });

  it('answers an empty array for values that match nothing', async () => {
    expect(
      await searchJson({ filter: `file.hash.sha256: "${V.unknownSha256}"`, state: 'true' }),
    ).toEqual([]);
    expect(await searchJson({ filter: `file.name: "${V.unknown}"` })).toEqual([]);
  });

  it('never sends the internal active flag', async () => {
    const events = await searchJson({
      filter: `file.hash.sha256: "${V.noisySha256}"`,
      state: 'true',
    });
    expect((events as object[]).filter((event) => 'active' in event)).toEqual([]);
  });

  it('answers 10 events by default, in data-set order', async () => {
    const events = await searchJson({
      filter: `file.hash.sha256: "${V.noisySha256}"`,
      state: 'true',
    });
    expect(ids(events)).toEqual(
      Array.from(
        { length: 10 },
        (_, i) => `f11e0001-0000-4000-8000-${String(i).padStart(12, '0')}`,
      ),
    );
  });

  it('pages with pageSize and a 0-based pageNumber', async () => {
    const filter = `network.remote.address.ip: "${V.noisyIp}"`;
    const all = expected(false, (event) => event.network?.remoteIP === V.noisyIp);
    expect(all).toHaveLength(150);
    expect(await searchJson({ filter, pageSize: '100' })).toEqual(all.slice(0, 100));
    expect(await searchJson({ filter, pageSize: '100', pageNumber: '1' })).toEqual(all.slice(100));
    expect(await searchJson({ filter, pageSize: '100', pageNumber: '2' })).toEqual([]);
    expect(await searchJson({ filter, pageSize: '1', pageNumber: '149' })).toEqual([all[149]]);
  });

  it.each([
    [{ pageSize: '0' }, 'Invalid value for pageSize: expected an integer >= 1'],
    [{ pageSize: '-5' }, 'Invalid value for pageSize: expected an integer >= 1'],
    [{ pageSize: '1.5' }, 'Invalid value for pageSize: expected an integer >= 1'],
    [{ pageSize: 'ten' }, 'Invalid value for pageSize: expected an integer >= 1'],
    [{ pageNumber: '-1' }, 'Invalid value for pageNumber: expected an integer >= 0'],
    [{ pageNumber: '' }, 'Invalid value for pageNumber: expected an integer >= 0'],
  ])('answers 400 to %j', async (paging, message) => {
    const response = await search({ filter: `file.hash.md5: "${V.md5}"`, ...paging });
    expect([response.status, await response.text()]).toEqual([400, message]);
  });

  it.each([
    [{ filter: ' ' }, 'Invalid filter: empty filter at position 1'],
    [{ filter: 'file.name = abc' }, "Invalid filter: expected ':' at position 10"],
    [
      { filter: 'file.hash.sha1: "abc"' },
      "Invalid filter: unknown field 'file.hash.sha1' at position 0",
    ],
    [
      { filter: `file.name: "unterminated` },
      'Invalid filter: unterminated quoted value at position 24',
    ],
  ])('answers 400 with a text body to %j', async (query, message) => {
    const response = await search(query);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect([response.status, await response.text()]).toEqual([400, message]);
  });

  it('answers every event of the state when no filter is sent (the relay health check)', async () => {
    const active = (await searchJson({ state: 'true', pageSize: '1000' })) as unknown[];
    const historical = (await searchJson({ pageSize: '1000' })) as unknown[];
    expect([active.length, historical.length]).toEqual([
      SIMULATOR_EVENTS.filter((entry) => entry.active).length,
      SIMULATOR_EVENTS.filter((entry) => !entry.active).length,
    ]);
  });

  it('counts searches and records what the relay sent', async () => {
    const filter = `file.hash.md5: "${V.md5}"`;
    await searchJson({ filter, pageSize: '5', state: 'true' });
    const { authCalls, searchCalls, requests } = simulator.stats;
    expect([authCalls, searchCalls, requests.length]).toEqual([0, 1, 1]);
    const [recorded] = requests;
    expect({
      method: recorded.method,
      path: recorded.path,
      query: recorded.query,
      authorization: recorded.headers.authorization,
      accept: recorded.headers.accept,
      body: recorded.body,
    }).toEqual({
      method: 'GET',
      path: '/ioc/events',
      query: { filter, pageSize: '5', state: 'true' },
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      body: '',
    });
  });

  it('records the first value of a repeated query parameter, and a __proto__ one as data', async () => {
    await fetch(`${simulator.url}/ioc/events?state=true&state=false&__proto__=x`);
    const [recorded] = simulator.stats.requests;
    expect(recorded.query).toEqual({ state: 'true', ['__proto__']: 'x' });
    expect(Object.getPrototypeOf(recorded.query)).toBe(Object.prototype);
  });

  it('answers 404 to unknown routes and 405 to wrong methods', async () => {
    const notFound = await fetch(`${simulator.url}/ioc/v2/events`);
    expect([notFound.status, await notFound.text()]).toEqual([404, 'Not Found']);
    const wrongMethod = await fetch(`${simulator.url}/ioc/events`, { method: 'POST' });
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'GET']);
    const authGet = await fetch(`${simulator.url}/auth`);
    expect([authGet.status, authGet.headers.get('allow')]).toEqual([405, 'POST']);
    expect(simulator.stats.searchCalls + simulator.stats.authCalls).toBe(0);
    expect(simulator.stats.requests.map((request) => request.path)).toEqual([
      '/ioc/v2/events',
      '/ioc/events',
      '/auth',
    ]);
  });

  it('waits the latency set with setLatency() before answering', async () => {
    simulator.setLatency(150);
    const started = performance.now();
    const response = await search({ filter: `file.hash.md5: "${V.md5}"` });
    await response.text();
    expect(response.status).toBe(200);
    // A few ms of slack: performance.now and the timer clock round differently.
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('refuses a negative latency', () => {
    expect(() => simulator.setLatency(-1)).toThrow(
      'latency must be a non-negative number of milliseconds',
    );
  });
});

describe('Qualys simulator: options affecting searches', () => {
  it('applies latencyMs from the start, to auth as well', async () => {
    const simulator = await startQualysSimulator({ latencyMs: 120 });
    try {
      const started = performance.now();
      await new SimulatorClient(simulator.url).requestToken();
      expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    } finally {
      await simulator.close();
    }
  });

  it('delays the searches of a user with its own latency, and only those', async () => {
    const simulator = await startQualysSimulator({
      credentials: { slow: 'pw-slow', quick: 'pw-quick' },
      userLatencyMs: { slow: 300 },
    });
    try {
      const client = new SimulatorClient(simulator.url);
      const slowToken = await client.requestToken('slow', 'pw-slow');
      const quickToken = await client.requestToken('quick', 'pw-quick');
      const search = async (token: string): Promise<number> => {
        const response = await fetch(`${simulator.url}/ioc/events?state=true`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        await response.text();
        return response.status;
      };
      const started = performance.now();
      const answered: string[] = [];
      const slow = search(slowToken).then(() => answered.push('slow'));
      const quick = search(quickToken).then(() => answered.push('quick'));
      await Promise.all([slow, quick]);
      expect(answered).toEqual(['quick', 'slow']);
      expect(performance.now() - started).toBeGreaterThanOrEqual(295);

      simulator.setUserLatency('quick', 300);
      simulator.setUserLatency('slow', undefined);
      answered.length = 0;
      await Promise.all([
        search(quickToken).then(() => answered.push('quick')),
        search(slowToken).then(() => answered.push('slow')),
      ]);
      expect(answered).toEqual(['slow', 'quick']);
      expect(() => simulator.setUserLatency('slow', -1)).toThrow(
        'latency must be a non-negative number of milliseconds',
      );
    } finally {
      await simulator.close();
    }
  });

  it('serves an events override and caps pageSize at 1000', async () => {
    const events: SimulatorEvent[] = Array.from({ length: 1200 }, (_, i) => ({
      active: true,
      event: { id: `e${i}`, handle: { name: 'm' } },
    }));
    const simulator = await startQualysSimulator({ events });
    try {
      const token = await new SimulatorClient(simulator.url).requestToken();
      const query = new URLSearchParams({
        filter: 'handle.name: "m"',
        state: 'true',
        pageSize: '5000',
      });
      const response = await fetch(`${simulator.url}/ioc/events?${query.toString()}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      const body = (await response.json()) as { id: string }[];
      expect(body).toHaveLength(1000);
      expect([body[0], body[999]]).toEqual([
        { id: 'e0', handle: { name: 'm' } },
        { id: 'e999', handle: { name: 'm' } },
      ]);
    } finally {
      await simulator.close();
    }
  });

  it('answers full pages of synthetic events with eventsPerSearch, distinct per filter and state', async () => {
    const simulator = await startQualysSimulator({ eventsPerSearch: 1000 });
    try {
      const token = await new SimulatorClient(simulator.url).requestToken();
      const page = async (query: Record<string, string>) => {
        const response = await fetch(
          `${simulator.url}/ioc/events?${new URLSearchParams(query).toString()}`,
          { headers: { Authorization: `Bearer ${token}` } },
        );
        return (await response.json()) as { id: string; type: string; file: { sha256: string } }[];
      };
      const md5 = { filter: `file.hash.md5: ${quote(V.md5)}`, pageSize: '1000' };
      const [active, historical, small, other] = await Promise.all([
        page({ ...md5, state: 'true' }),
        page(md5),
        page({ ...md5, pageSize: '3' }),
        page({ filter: `file.hash.md5: ${quote(V.unknownSha256)}`, pageSize: '1000' }),
      ]);
      expect([active.length, historical.length, small.length, other.length]).toEqual([
        1000, 1000, 3, 1000,
      ]);
      const allIds = new Set([...active, ...historical, ...other].map((event) => event.id));
      expect(allIds.size).toBe(3000);
      expect(small).toEqual(historical.slice(0, 3)); // the same search answers the same events
      expect(active[0]).toMatchObject({ type: 'FILE', file: { sha256: expect.any(String) } });
    } finally {
      await simulator.close();
    }
  });

  it('refuses a negative or fractional eventsPerSearch', async () => {
    await expect(startQualysSimulator({ eventsPerSearch: -1 })).rejects.toThrow(
      'eventsPerSearch must be a non-negative integer',
    );
    await expect(startQualysSimulator({ eventsPerSearch: 1.5 })).rejects.toThrow(
      'eventsPerSearch must be a non-negative integer',
    );
  });

  it('keeps only the latest maxRecordedRequests requests', async () => {
    const simulator = await startQualysSimulator({ maxRecordedRequests: 2 });
    try {
      for (const path of ['/a', '/b', '/c']) await (await fetch(`${simulator.url}${path}`)).text();
      expect(simulator.stats.requests.map((request) => request.path)).toEqual(['/b', '/c']);
    } finally {
      await simulator.close();
    }
  });
});
