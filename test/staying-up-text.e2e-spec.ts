import { createServer, request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mintRelayToken } from '../src/cli/relay-token.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
} from '../tools/simulator/qualys-simulator.js';
import { validateObserveResponse } from '../tools/lib/ctim-validator.js';
import { randomTransientIdOf } from './support/ctim-matchers.js';
import { compilePrivateBuild, type PrivateBuild } from './support/private-build.js';
import { spawnRelay, until, type RelayProcess } from './support/relay-process.js';

const JWT_SECRET = 'staying-up-text-secret-0123456789abcdefgh';
const NOT_FOUND = { errors: [{ type: 'fatal', code: 'not found', message: 'Route not found' }] };

interface Answer {
  status: number;
  body: unknown;
  ms: number;
}

/** One request on its own connection; the body parsed as JSON when it is JSON. */
function send(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    const req = httpRequest(`${url}${path}`, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Node's own 431 has no body.
        }
        resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

/**
 * Probes `/healthz/live` one request after another until `work` settles;
 * resolves with `work`'s result and the slowest probe's time, ms.
 */
async function probingWhile<T>(url: string, work: Promise<T>): Promise<[T, number]> {
  let settled = false;
  const done = work.finally(() => (settled = true));
  let slowestMs = 0;
  do {
    const probe = await send(url, 'GET', '/healthz/live');
    expect(probe.status).toBe(200);
    slowestMs = Math.max(slowestMs, probe.ms);
  } while (!settled);
  return [await done, slowestMs];
}

/**
 * A raw connection that sends `head`, then one byte of `bytes` every
 * `intervalMs`: resolves with what the relay answered and when it closed.
 */
function drip(
  url: string,
  head: string,
  bytes: string,
  intervalMs: number,
): Promise<{ answer: string; closedAfterMs: number }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    const started = Date.now();
    let answer = '';
    let sent = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed && bytes !== '') socket.write(bytes[sent++ % bytes.length]);
    }, intervalMs);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    socket.write(head);
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Spec §15 "Linear text", "Slow clients", "What the relay emits is what it
 * says it is", and the log line of a Qualys call without an answer: against
 * the built relay in its own process with the image's heap
 * (`--max-old-space-size=160`), Qualys played by the simulator.
 */
describe('staying up: hostile text, slow clients, typed output (spec §15)', () => {
  let build: PrivateBuild;
  let simulator: QualysSimulator;
  let relay: RelayProcess;
  const token = (claims: Record<string, string> = {}) =>
    mintRelayToken(JWT_SECRET, {
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: simulator.url,
      PLATFORM_URL: simulator.url,
      ...claims,
    });

  beforeAll(async () => {
    build = await compilePrivateBuild('relay-staying-up-');
    simulator = await startQualysSimulator({ host: '127.0.0.1', port: 0 });
    relay = await spawnRelay(build.dir, {
      NODE_OPTIONS: '--max-old-space-size=160',
      AUTH_MODE: 'secret',
      JWT_SECRET,
      QUALYS_ALLOW_INSECURE: 'true',
      QUALYS_RETRIES: '0',
      QUALYS_CACHE_TTL_SEC: '0',
      LOG_LEVEL: 'info',
    });
  }, 120_000);
  afterAll(async () => {
    await relay?.kill();
    await simulator?.close();
    build?.remove();
  });
  beforeEach(() => simulator.clearFaults());

  it('answers 30 paths of 15 KB of "eyJ" without freezing: the probe answers meanwhile', async () => {
    const path = `/${'eyJ'.repeat(5000)}`;
    const hostile = Array.from({ length: 30 }, () => send(relay.url, 'GET', path));
    const [answers, probeMs] = await probingWhile(relay.url, Promise.all(hostile));
    expect(answers.map(({ status, body }) => ({ status, body }))).toEqual(
      answers.map(() => ({ status: 404, body: NOT_FOUND })),
    );
    // Generous: a quadratic JWT scan of the logged path took seconds here.
    expect(probeMs).toBeLessThan(2000);
    // The path is logged cut to its first 1 KiB, without its partial last segment.
    const logged = () =>
      relay.logs.filter((line) => line.msg === 'request completed' && line.route === 'unmatched');
    await until(() => logged().length >= answers.length, 'the request log lines');
    expect(logged().map((line) => line.url)).toEqual(answers.map(() => '/…'));
  }, 30_000);

  it("answers a path over Node's 16 KiB header limit with 431, before any scan", async () => {
    // Far larger ones may see the connection reset instead: Node closes with unread bytes.
    const answer = await send(relay.url, 'GET', `/${'eyJ'.repeat(7_000)}`);
    expect(answer.status).toBe(431);
    expect(answer.ms).toBeLessThan(2000);
  });

  it('quotes 50,000 × "a" from /auth exactly and quickly, while the probe answers', async () => {
    simulator.injectFault({ on: 'auth', kind: 'status', status: 500, body: 'a'.repeat(50_000) });
    // Three callers, three token fetches (tokens never mix across credentials).
    const tokens = await Promise.all(['u1', 'u2', 'u3'].map((user) => token({ user })));
    const health = tokens.map((jwt) => send(relay.url, 'POST', '/health', { token: jwt }));
    const [answers, probeMs] = await probingWhile(relay.url, Promise.all(health));
    expect(answers.map(({ status, body }) => ({ status, body }))).toEqual(
      answers.map(() => ({
        status: 200,
        body: {
          errors: [
            {
              type: 'fatal',
              code: 'unknown',
              message: `Unexpected response from Qualys IOC: ${'a'.repeat(199)}…`,
            },
          ],
        },
      })),
    );
    // Generous: the whole answer was scrubbed before it was cut, seconds each.
    expect(probeMs).toBeLessThan(2000);
    expect(Math.max(...answers.map(({ ms }) => ms))).toBeLessThan(2000);
  });

  it('cuts off slow headers after 10 s and a drip-fed body after 30 s with a 408, idle keep-alive after 5 s', async () => {
    const post = 'POST /observe/observables HTTP/1.1\r\nHost: relay\r\n';
    const [headers, body, idle] = await Promise.all([
      drip(relay.url, post, 'X-Slow: 1\r\n', 2000),
      drip(
        relay.url,
        `${post}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
        '[',
        2000,
      ),
      // One request on a keep-alive connection, then silence.
      drip(relay.url, 'GET /healthz/live HTTP/1.1\r\nHost: relay\r\n\r\n', '', 600_000),
    ]);
    const firstLine = (answer: string) => answer.split('\r\n', 1)[0];
    expect([headers, body, idle].map(({ answer }) => firstLine(answer))).toEqual([
      'HTTP/1.1 408 Request Timeout',
      'HTTP/1.1 408 Request Timeout',
      'HTTP/1.1 200 OK',
    ]);
    // Node's defaults held the first two 60 s and 300 s; bounds with room for the 1 s checks.
    expect(headers.closedAfterMs).toBeGreaterThanOrEqual(9_500);
    expect(headers.closedAfterMs).toBeLessThan(20_000);
    expect(body.closedAfterMs).toBeGreaterThanOrEqual(29_500);
    expect(body.closedAfterMs).toBeLessThan(45_000);
    expect(idle.closedAfterMs).toBeGreaterThanOrEqual(4_500);
    expect(idle.closedAfterMs).toBeLessThan(10_000);
  }, 60_000);

  it('emits target and relation observables valid for their type only, keeping valid siblings', async () => {
    const event = {
      id: 'a0000000-0000-4000-8000-000000000016',
      dateTime: '2024-05-14T09:30:00.000+0000',
      type: 'NETWORK',
      action: 'ESTABLISHED',
      process: { processName: 'beacon.exe' },
      network: { remoteIP: 'not-an-ip', remoteDns: 'c2.example.net' },
      asset: {
        netBiosName: '<b>host</b>',
        fullOSName: 'Ubuntu 22.04.4 LTS',
        interfaces: [
          { ipAddress: 'javascript:alert(1)', macAddress: '\u202e' },
          { ipAddress: '10.10.10.40', macAddress: '02:42:ac:11:00:02' },
        ],
      },
    };
    simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 200,
      body: JSON.stringify([event]),
      match: { active: true },
    });
    const observable = { type: 'domain', value: 'c2.example.net' };
    const answer = await send(relay.url, 'POST', '/observe/observables', {
      token: await token(),
      body: [observable],
    });
    expect(answer.status).toBe(200);
    expect(validateObserveResponse(answer.body)).toEqual([]);
    const time = { start_time: '2024-05-14T09:30:00.000Z', end_time: '2024-05-14T09:30:00.000Z' };
    expect(answer.body).toEqual({
      data: {
        sightings: {
          count: 1,
          docs: [
            {
              id: randomTransientIdOf('sighting'),
              type: 'sighting',
              schema_version: '1.0.17',
              source: 'Qualys IOC',
              confidence: 'High',
              count: 1,
              sensor: 'endpoint',
              external_ids: [event.id],
              external_references: [],
              observables: [observable],
              observed_time: time,
              description: 'A Qualys IOC event related to "c2.example.net"',
              severity: 'Unknown',
              targets: [
                {
                  type: 'endpoint',
                  os: 'Ubuntu 22.04.4 LTS',
                  observables: [
                    { type: 'ip', value: '10.10.10.40' },
                    { type: 'mac_address', value: '02:42:ac:11:00:02' },
                  ],
                  observed_time: time,
                },
              ],
              // Resolved_To needs the remote IP, which is not one.
              relations: [
                {
                  origin: 'Qualys IOC',
                  relation: 'Connected_To',
                  source: { type: 'file_name', value: 'beacon.exe' },
                  related: { type: 'domain', value: 'c2.example.net' },
                },
              ],
              data: {
                columns: [{ name: 'Active', type: 'string' }],
                rows: [['True']],
                row_count: 1,
              },
            },
          ],
        },
      },
    });
  });

  it('logs one warn line naming the API host and the cause when Qualys refuses the connection', async () => {
    const port = await closedPort();
    const apiUrl = `http://127.0.0.1:${port}`;
    const jwt = await token({ API_URL: apiUrl, PLATFORM_URL: apiUrl });
    const answer = await send(relay.url, 'POST', '/health', { token: jwt });
    expect(answer.body).toEqual({
      errors: [
        {
          type: 'fatal',
          code: 'connection error',
          message: `Unable to connect to Qualys IOC, validate the configured API URL: ${apiUrl}`,
        },
      ],
    });
    const warning = (line: Record<string, unknown>) =>
      line.msg === 'Qualys IOC call failed without an answer';
    await until(() => relay.logs.some(warning), 'the warn line');
    const lines = relay.logs.filter(warning);
    expect(
      lines.map(({ level, context, apiHost, operation, cause, code }) => ({
        level,
        context,
        apiHost,
        operation,
        cause,
        code,
      })),
    ).toEqual([
      {
        level: 'warn',
        context: 'QualysClient',
        apiHost: `127.0.0.1:${port}`,
        operation: 'auth',
        cause: `connect ECONNREFUSED 127.0.0.1:${port}`,
        code: 'ECONNREFUSED',
      },
    ]);
    const text = JSON.stringify(lines);
    for (const secret of [SIMULATOR_PASSWORD, jwt, encodeURIComponent(SIMULATOR_PASSWORD)]) {
      expect(text).not.toContain(secret);
    }
  });
});
