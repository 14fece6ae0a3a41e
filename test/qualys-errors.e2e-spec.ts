import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import request from 'supertest';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

const V = SIMULATOR_VALUES;
const envelope = (code: string, message: unknown) => ({
  errors: [{ type: 'fatal', code, message }],
});

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Qualys failures as relay errors (spec §7)', () => {
  let relay: RelayHarness;
  let jwt: string;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: { QUALYS_TIMEOUT_MS: '500', QUALYS_BUDGET_MS: '3000', QUALYS_RETRIES: '2' },
    });
    jwt = await relay.token();
  });
  afterAll(() => relay.close());
  beforeEach(() => {
    relay.simulator.clearFaults();
    relay.simulator.resetStats();
  });

  const observe = (token = jwt) =>
    request(relay.url)
      .post('/observe/observables')
      .set('Authorization', `Bearer ${token}`)
      .send([{ type: 'md5', value: V.md5 }])
      .expect(200)
      .then((response) => response.body as unknown);

  it('answers bad Qualys credentials with authorization error and what Qualys said', async () => {
    expect(await observe(await relay.token({ user: 'mallory' }))).toEqual(
      envelope('authorization error', 'Authorization failed: InvalidCredentialsException'),
    );
  });

  it('answers a search 401 that survives a fresh token with authorization error', async () => {
    await observe(); // a cached token first, so the only /auth call below is the refresh
    relay.simulator.resetStats();
    relay.simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 401,
      body: 'Token is not valid',
    });
    expect(await observe()).toEqual(
      envelope('authorization error', 'Authorization failed: Token is not valid'),
    );
    expect(relay.simulator.stats.authCalls).toBe(1); // exactly one refresh
  });

  it('answers 403 with permission denied and what Qualys said', async () => {
    relay.simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 403,
      body: '{"message":"User has no IOC access"}',
    });
    expect(await observe()).toEqual(envelope('permission denied', 'User has no IOC access'));
  });

  it('waits what X-RateLimit-ToWait-Sec says after a 429, then succeeds', async () => {
    relay.simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 429,
      headers: { 'X-RateLimit-ToWait-Sec': '1' },
      times: 1,
    });
    const started = Date.now();
    const body = (await observe()) as { data: { sightings: { count: number } } };
    expect(body.data.sightings.count).toBe(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('gives up on a persistent 429 with too many requests', async () => {
    relay.simulator.injectFault({ on: 'search', kind: 'status', status: 429 });
    expect(await observe()).toEqual(
      envelope(
        'too many requests',
        'Too many requests to Qualys IOC have been made. Please try again later.',
      ),
    );
    // The search that exhausts its 1 + 2 tries first abandons its sibling.
    const triesOf = (active: boolean) =>
      relay.simulator.stats.requests.filter(
        (r) => r.path === '/ioc/events' && (r.query.state === 'true') === active,
      ).length;
    expect(Math.max(triesOf(true), triesOf(false))).toBe(3);
    const callsAtAnswer = relay.simulator.stats.searchCalls;
    expect(callsAtAnswer).toBeLessThanOrEqual(6);
    await new Promise((resolve) => setTimeout(resolve, 700)); // longer than any back-off here
    expect(relay.simulator.stats.searchCalls).toBe(callsAtAnswer); // nothing outlives the answer
  });

  it('answers a persistent 503 with service unavailable', async () => {
    relay.simulator.injectFault({ on: 'search', kind: 'status', status: 503 });
    expect(await observe()).toEqual(
      envelope('service unavailable', 'Service temporarily unavailable. Please try again later.'),
    );
  });

  it('retries a transient 503 and succeeds', async () => {
    relay.simulator.injectFault({ on: 'search', kind: 'status', status: 503, times: 2 });
    const body = (await observe()) as { data: { sightings: { count: number } } };
    expect(body.data.sightings.count).toBe(4);
  });

  it('answers other statuses with unknown and the Qualys body', async () => {
    relay.simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 500,
      body: 'Internal failure in IOC search',
    });
    expect(await observe()).toEqual(
      envelope('unknown', 'Unexpected response from Qualys IOC: Internal failure in IOC search'),
    );
  });

  describe('an upstream page that echoes the request (a careless proxy)', () => {
    /** Every form in which a secret could leak into an answer. */
    const leaks = (text: string, secrets: string[]) =>
      secrets.flatMap((secret) =>
        [
          secret,
          encodeURIComponent(secret),
          new URLSearchParams({ s: secret }).toString().slice(2),
        ].filter((form) => text.includes(form)),
      );

    it('quotes neither the Qualys token nor the user name from a search answer', async () => {
      await observe(); // a cached token, so the search below sends it
      relay.simulator.injectFault({ on: 'search', kind: 'echo-request' });
      const response = await request(relay.url)
        .post('/observe/observables')
        .set('Authorization', `Bearer ${jwt}`)
        .send([{ type: 'md5', value: V.md5 }])
        .expect(200);
      expect(response.body).toEqual(
        envelope(
          'unknown',
          'Unexpected response from Qualys IOC: 502 Bad Gateway (proxy debug) ' +
            'Authorization: [redacted] User: [redacted] Request: GET /ioc/events Body:',
        ),
      );
      const qualysToken = /^Bearer (.+)$/.exec(
        String(
          relay.simulator.stats.requests.find((r) => r.path === '/ioc/events')?.headers
            .authorization,
        ),
      )?.[1];
      expect(qualysToken).toEqual(expect.any(String));
      expect(leaks(response.text, [qualysToken!, SIMULATOR_USER, SIMULATOR_PASSWORD])).toEqual([]);
    });

    it('quotes neither the user name nor the password from an /auth answer', async () => {
      const user = 'echo-victim';
      relay.simulator.injectFault({ on: 'auth', kind: 'echo-request', status: 401 });
      const response = await request(relay.url)
        .post('/health')
        .set('Authorization', `Bearer ${await relay.token({ user })}`)
        .expect(200);
      expect(response.body).toEqual(
        envelope(
          'authorization error',
          'Authorization failed: 401 Unauthorized (proxy debug) Authorization: [redacted] ' +
            'User: [redacted] Request: POST /auth ' +
            'Body: username=[redacted]&password=[redacted]&token=true',
        ),
      );
      expect(leaks(response.text, [user, SIMULATOR_PASSWORD])).toEqual([]);
    });
  });

  it.each([400, 404])('treats a search %i as nothing found', async (status) => {
    relay.simulator.injectFault({ on: 'search', kind: 'status', status, body: 'no' });
    expect(await observe()).toEqual({ data: {} });
  });

  it('answers malformed JSON with unknown', async () => {
    relay.simulator.injectFault({ on: 'search', kind: 'malformed-json' });
    expect(await observe()).toEqual(
      envelope(
        'unknown',
        'Unexpected response from Qualys IOC: the events answer is not valid JSON',
      ),
    );
  });

  it('answers a JSON object instead of an array with unknown', async () => {
    relay.simulator.injectFault({ on: 'search', kind: 'json-object' });
    expect(await observe()).toEqual(
      envelope(
        'unknown',
        'Unexpected response from Qualys IOC: the events answer is not a JSON array',
      ),
    );
  });

  it('answers a hanging Qualys with connection error within the time budget', async () => {
    relay.simulator.injectFault({ on: 'search', kind: 'hang' });
    const started = Date.now();
    expect(await observe()).toEqual(
      envelope(
        'connection error',
        `Unable to connect to Qualys IOC, validate the configured API URL: ${relay.simulator.url}`,
      ),
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('answers a reset connection with connection error', async () => {
    relay.simulator.injectFault({ on: 'search', kind: 'reset' });
    expect(await observe()).toEqual(
      envelope(
        'connection error',
        `Unable to connect to Qualys IOC, validate the configured API URL: ${relay.simulator.url}`,
      ),
    );
  });

  it('answers a refused connection with connection error naming the API URL', async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}`;
    expect(await observe(await relay.token({ API_URL: apiUrl }))).toEqual(
      envelope(
        'connection error',
        `Unable to connect to Qualys IOC, validate the configured API URL: ${apiUrl}`,
      ),
    );
  });

  describe('TLS', () => {
    let tlsServer: Server;
    let apiUrl: string;

    beforeAll(async () => {
      // The fixture certificate is valid for localhost and 127.0.0.1 only:
      // reached as 127.0.0.2, its name does not match.
      tlsServer = createHttpsServer(
        {
          cert: readFileSync('test/fixtures/tls/server.crt'),
          key: readFileSync('test/fixtures/tls/server.key'),
        },
        (_req, res) => res.end('[]'),
      );
      await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.2', resolve));
      apiUrl = `https://127.0.0.2:${(tlsServer.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => tlsServer.close(() => resolve())));

    it('answers a certificate that does not verify with unknown and the reason', async () => {
      expect(await observe(await relay.token({ API_URL: apiUrl }))).toEqual(
        envelope(
          'unknown',
          expect.stringMatching(
            /^Unable to verify SSL certificate: .*(IP|altnames|does not match).*/,
          ),
        ),
      );
    });
  });
});

describe('a rate refusal whose wait does not fit (spec §9)', () => {
  let relay: RelayHarness;

  beforeAll(async () => {
    relay = await startRelayHarness({ env: { QUALYS_BUDGET_MS: '3000' } });
  });
  afterAll(() => relay.close());

  it('answers at once that the budget is spent, and sends nothing more while it is', async () => {
    relay.simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 429,
      headers: { 'X-RateLimit-ToWait-Sec': '60' },
    });
    const observe = async () =>
      (
        await request(relay.url)
          .post('/observe/observables')
          .set('Authorization', `Bearer ${await relay.token()}`)
          .send([{ type: 'md5', value: V.md5 }])
          .expect(200)
      ).body as unknown;
    const started = Date.now();
    const spent = envelope(
      'too many requests',
      'Qualys IOC API rate limit reached; try again in 60 seconds.',
    );
    expect(await observe()).toEqual(spent);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(relay.simulator.stats.searchCalls).toBe(2);
    relay.simulator.clearFaults();
    expect(await observe()).toEqual(spent);
    expect(relay.simulator.stats.searchCalls).toBe(2);
  });
});
