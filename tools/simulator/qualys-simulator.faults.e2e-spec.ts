import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { SIMULATOR_VALUES } from './dataset.js';
import { gunzipSync } from 'node:zlib';
import {
  GZIP_BOMB_EVENTS,
  gzipBombBody,
  HUGE_BODY_MIN_BYTES,
  hugeBodyEventCount,
  hugeBodyLength,
  JSON_OBJECT_BODY,
  MALFORMED_JSON_BODY,
} from './fault-responder.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
} from './qualys-simulator.js';
import { SimulatorClient } from './simulator-client.js';

const MD5_FILTER = `file.hash.md5: "${SIMULATOR_VALUES.md5}"`;
const MIB = 1024 * 1024;

/** A plain node:http GET with no connection pooling; resolves with the response or the error. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ response?: IncomingMessage; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const request = httpRequest(url, { headers, agent: false }, (response) =>
      resolve({ response }),
    );
    request.on('error', (error) => resolve({ error }));
    request.end();
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Qualys simulator: injected faults', () => {
  let simulator: QualysSimulator;
  let client: SimulatorClient;
  let token: string;

  beforeAll(async () => {
    simulator = await startQualysSimulator();
    client = new SimulatorClient(simulator.url);
    token = await client.requestToken();
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => {
    simulator.clearFaults();
    simulator.resetStats();
  });

  function searchUrl(query: Record<string, string> = {}): string {
    return `${simulator.url}/ioc/events?${new URLSearchParams({ filter: MD5_FILTER, ...query }).toString()}`;
  }

  function search(query: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    return fetch(searchUrl(query), { headers: { Authorization: `Bearer ${token}` }, signal });
  }

  async function statuses(count: number, query: Record<string, string> = {}): Promise<number[]> {
    const result: number[] = [];
    for (let i = 0; i < count; i++) {
      const response = await search(query);
      await response.arrayBuffer();
      result.push(response.status);
    }
    return result;
  }

  describe('status', () => {
    it('answers the status, headers and default body for the next `times` searches only', async () => {
      simulator.injectFault({
        on: 'search',
        kind: 'status',
        status: 429,
        headers: { 'X-RateLimit-ToWait-Sec': '3', 'Retry-After': '4' },
        times: 2,
      });
      for (let i = 0; i < 2; i++) {
        const response = await search();
        expect({
          status: response.status,
          wait: response.headers.get('x-ratelimit-towait-sec'),
          retryAfter: response.headers.get('retry-after'),
          type: response.headers.get('content-type'),
          body: await response.text(),
        }).toEqual({
          status: 429,
          wait: '3',
          retryAfter: '4',
          type: 'text/plain; charset=utf-8',
          body: 'Too Many Requests',
        });
      }
      expect(await statuses(1)).toEqual([200]);
      expect(simulator.stats.searchCalls).toBe(3);
    });

    it('stays until cleared when `times` is absent', async () => {
      simulator.injectFault({ on: 'search', kind: 'status', status: 503 });
      expect(await statuses(3)).toEqual([503, 503, 503]);
      simulator.clearFaults();
      expect(await statuses(1)).toEqual([200]);
    });

    it('sends a given body, typed as JSON when it parses as JSON', async () => {
      simulator.injectFault({
        on: 'search',
        kind: 'status',
        status: 403,
        body: '{"message":"no"}',
      });
      const response = await search();
      expect([
        response.status,
        response.headers.get('content-type'),
        await response.text(),
      ]).toEqual([403, 'application/json', '{"message":"no"}']);
    });

    it('answers a 401 on auth with the Qualys credentials error by default', async () => {
      simulator.injectFault({ on: 'auth', kind: 'status', status: 401, times: 1 });
      await expect(client.requestToken()).rejects.toThrow(
        'auth failed with 401: {"authentication_exceptions":["InvalidCredentialsException"]}',
      );
      expect(await client.requestToken()).toMatch(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/);
      expect(simulator.stats.authCalls).toBe(2);
    });

    it('affects only matching searches', async () => {
      simulator.injectFault({ on: 'search', kind: 'status', status: 500, match: { active: true } });
      simulator.injectFault({
        on: 'search',
        kind: 'status',
        status: 502,
        match: { filterIncludes: SIMULATOR_VALUES.mutex },
      });
      expect(await statuses(1, { state: 'true' })).toEqual([500]);
      expect(await statuses(1)).toEqual([200]);
      expect(await statuses(1, { filter: `handle.name: "${SIMULATOR_VALUES.mutex}"` })).toEqual([
        502,
      ]);
    });

    it('fires faults in insertion order, using up limited ones', async () => {
      simulator.injectFault({ on: 'search', kind: 'status', status: 503, times: 1 });
      simulator.injectFault({ on: 'search', kind: 'status', status: 429, times: 2 });
      simulator.injectFault({ on: 'auth', kind: 'status', status: 500 });
      expect(await statuses(4)).toEqual([503, 429, 429, 200]);
    });

    it('refuses an invalid spec without storing it', async () => {
      expect(() =>
        simulator.injectFault({ on: 'search', kind: 'status', status: 42, times: 1 }),
      ).toThrow("'status' must be an integer from 200 to 599");
      expect(await statuses(1)).toEqual([200]);
    });
  });

  describe('echo-request', () => {
    it("echoes a search's Authorization header and its token's user, as a careless proxy would", async () => {
      simulator.injectFault({ on: 'search', kind: 'echo-request', times: 1 });
      const response = await search();
      expect([
        response.status,
        response.headers.get('content-type'),
        await response.text(),
      ]).toEqual([
        502,
        'text/plain; charset=utf-8',
        [
          '502 Bad Gateway (proxy debug)',
          `Authorization: Bearer ${token}`,
          `User: ${SIMULATOR_USER}`,
          'Request: GET /ioc/events',
          'Body: ',
        ].join('\n'),
      ]);
      expect(await statuses(1)).toEqual([200]);
    });

    it('echoes the /auth form, password included, with the status asked for', async () => {
      simulator.injectFault({ on: 'auth', kind: 'echo-request', status: 401, times: 1 });
      const form = new URLSearchParams({
        username: SIMULATOR_USER,
        password: SIMULATOR_PASSWORD,
        token: 'true',
      }).toString();
      const response = await fetch(`${simulator.url}/auth`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      expect([response.status, await response.text()]).toEqual([
        401,
        [
          '401 Unauthorized (proxy debug)',
          'Authorization: ',
          `User: ${SIMULATOR_USER}`,
          'Request: POST /auth',
          `Body: ${form}`,
        ].join('\n'),
      ]);
    });
  });

  describe('broken bodies', () => {
    it('answers 200 with truncated JSON for malformed-json', async () => {
      simulator.injectFault({ on: 'search', kind: 'malformed-json', times: 1 });
      const response = await search();
      const text = await response.text();
      expect([response.status, response.headers.get('content-type'), text]).toEqual([
        200,
        'application/json',
        MALFORMED_JSON_BODY,
      ]);
      expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
    });

    it('answers 200 with a JSON object for json-object', async () => {
      simulator.injectFault({ on: 'search', kind: 'json-object', times: 1 });
      const response = await search();
      const body: unknown = await response.json();
      expect([response.status, body]).toEqual([200, { data: [], count: 0, message: 'OK' }]);
      expect(JSON.stringify(body)).toBe(JSON_OBJECT_BODY);
    });

    it('streams a valid JSON array of about 50 MiB for huge-body', async () => {
      simulator.injectFault({ on: 'search', kind: 'huge-body', times: 1 });
      const response = await search();
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBeNull(); // chunked: no size announced
      expect(Buffer.byteLength(text)).toBe(hugeBodyLength());
      expect(HUGE_BODY_MIN_BYTES).toBe(50 * MIB);
      expect(hugeBodyLength()).toBeGreaterThanOrEqual(50 * MIB);
      expect(hugeBodyLength()).toBeLessThan(51 * MIB);
      const events = JSON.parse(text) as { type: string }[];
      expect([events.length, events[0].type]).toEqual([hugeBodyEventCount(), 'FILE']);
      await waitFor(() => simulator.activeStreams === 0);
    });

    it('answers ~4 KiB of gzip that decodes to 4 MiB of empty objects for gzip-bomb', async () => {
      simulator.injectFault({ on: 'search', kind: 'gzip-bomb', times: 1 });
      const { response } = await rawGet(`${simulator.url}/ioc/events?filter=x`, {
        Authorization: `Bearer ${token}`,
      });
      const chunks: Buffer[] = [];
      for await (const chunk of response! as AsyncIterable<Buffer>) chunks.push(chunk);
      const wire = Buffer.concat(chunks);
      expect([response!.statusCode, response!.headers['content-encoding']]).toEqual([200, 'gzip']);
      expect(wire.equals(gzipBombBody())).toBe(true);
      expect(wire.length).toBeLessThan(8 * 1024);
      const decoded = gunzipSync(wire).toString('utf8');
      expect(decoded.length).toBe(4 * MIB);
      expect(decoded.startsWith('[{},{},')).toBe(true);
      expect((JSON.parse(decoded) as unknown[]).length).toBe(GZIP_BOMB_EVENTS);
    });

    it('stops streaming the huge body when the client aborts', async () => {
      simulator.injectFault({ on: 'search', kind: 'huge-body', times: 1 });
      const controller = new AbortController();
      const response = await search({}, controller.signal);
      const reader = response.body!.getReader();
      await reader.read();
      expect(simulator.activeStreams).toBe(1);
      controller.abort();
      await waitFor(() => simulator.activeStreams === 0);
      expect(simulator.activeStreams).toBe(0);
    });

    it('keeps streaming endless-body until the client disconnects, then stops', async () => {
      simulator.injectFault({ on: 'search', kind: 'endless-body', chunkIntervalMs: 1, times: 1 });
      const controller = new AbortController();
      const response = await search({}, controller.signal);
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      let chunks = 0;
      while (chunks < 5) {
        const chunk = (await reader.read()).value as Uint8Array;
        received += decoder.decode(chunk, { stream: true });
        chunks++;
      }
      expect(received.startsWith('[{"id":"f1e1de00-0000-4000-8000-000000000000"')).toBe(true);
      expect(simulator.activeStreams).toBe(1);
      controller.abort();
      await waitFor(() => simulator.activeStreams === 0);
      expect(simulator.activeStreams).toBe(0);
    });
  });

  describe('connection faults', () => {
    it('never answers for hang: the client gives up on its own timeout', async () => {
      simulator.injectFault({ on: 'search', kind: 'hang', times: 1 });
      const started = performance.now();
      const error = await search({}, AbortSignal.timeout(200)).then(
        () => undefined,
        (reason: unknown) => reason as Error,
      );
      expect(error?.name).toBe('TimeoutError');
      expect(performance.now() - started).toBeGreaterThanOrEqual(195);
      expect(await statuses(1)).toEqual([200]);
    });

    it('hangs auth as well', async () => {
      simulator.injectFault({ on: 'auth', kind: 'hang', times: 1 });
      const error = await fetch(`${simulator.url}/auth`, {
        method: 'POST',
        signal: AbortSignal.timeout(100),
      }).then(
        () => undefined,
        (reason: unknown) => reason as Error,
      );
      expect(error?.name).toBe('TimeoutError');
    });

    it('resets the connection for reset: the client sees ECONNRESET', async () => {
      simulator.injectFault({ on: 'search', kind: 'reset', times: 1 });
      const { response, error } = await rawGet(searchUrl(), { Authorization: `Bearer ${token}` });
      expect(response).toBeUndefined();
      expect(error?.code).toBe('ECONNRESET');
      expect(await statuses(1)).toEqual([200]);
    });
  });

  describe('random faults', () => {
    async function sequence(seed: number, rate: number): Promise<number[]> {
      const random = await startQualysSimulator({ randomFaultRate: rate, seed });
      try {
        const bearer = await new SimulatorClient(random.url).requestToken();
        const result: number[] = [];
        for (let i = 0; i < 30; i++) {
          const response = await fetch(
            `${random.url}/ioc/events?filter=${encodeURIComponent(MD5_FILTER)}`,
            {
              headers: { Authorization: `Bearer ${bearer}` },
            },
          );
          if (response.status === 429)
            expect(response.headers.get('x-ratelimit-towait-sec')).toBe('1');
          await response.arrayBuffer();
          result.push(response.status);
        }
        return result;
      } finally {
        await random.close();
      }
    }

    it('is reproducible for a seed, and mixes 429, 503 and 500 with successes', async () => {
      const first = await sequence(7, 0.5);
      expect(await sequence(7, 0.5)).toEqual(first);
      expect([...new Set(first)].sort()).toEqual([200, 429, 500, 503]);
      expect(await sequence(8, 0.5)).not.toEqual(first);
    });

    it('fails every search at rate 1 and none at rate 0, never touching auth', async () => {
      expect((await sequence(3, 1)).filter((status) => status === 200)).toEqual([]);
      expect(await sequence(3, 0)).toEqual(Array.from({ length: 30 }, () => 200));
    });
  });
});

describe('Qualys simulator: close()', () => {
  it('resolves quickly with hanging, endless and idle keep-alive connections open', async () => {
    const simulator = await startQualysSimulator();
    const token = await new SimulatorClient(simulator.url).requestToken(); // leaves an idle keep-alive socket
    const url = `${simulator.url}/ioc/events?filter=${encodeURIComponent(MD5_FILTER)}`;
    const headers = { Authorization: `Bearer ${token}` };
    simulator.injectFault({ on: 'search', kind: 'hang', times: 1 });
    simulator.injectFault({ on: 'search', kind: 'endless-body', times: 1 });
    const hanging = rawGet(url, headers);
    const endless = await fetch(url, { headers });
    const endlessBody = endless.arrayBuffer().then(
      () => 'completed',
      () => 'aborted',
    );
    await waitFor(() => simulator.stats.searchCalls === 2 && simulator.activeStreams === 1);

    // Waiting for the hanging and endless answers would take forever: seconds is a safe bound.
    const started = performance.now();
    await simulator.close();
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await hanging).error?.message).toBe('socket hang up');
    expect(await endlessBody).toBe('aborted');
    expect(simulator.activeStreams).toBe(0);
    await expect(fetch(url, { headers })).rejects.toThrow('fetch failed');
  });

  it('can be called twice', async () => {
    const simulator = await startQualysSimulator();
    await Promise.all([simulator.close(), simulator.close()]);
    await expect(simulator.close()).resolves.toBeUndefined();
  });
});
