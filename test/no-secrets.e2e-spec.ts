import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { startRelayHarness, TEST_JWT_SECRET, type RelayHarness } from './support/relay-harness.js';

const WRONG_PASSWORD = 'Wr0ng&pass=word+%';

interface Exchange {
  label: string;
  /** Status line, headers and body, as the caller received them. */
  text: string;
}

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Spec §7: no credential or token ever reaches a response. One run over
 * every route — relay, operational and unknown — in success and in every
 * kind of failure (bad Qualys credentials, refused and expired JWTs, Qualys
 * errors and error pages that echo the request, unreachable Qualys,
 * malformed bodies); then every status line, header and body is searched for
 * the Qualys passwords, every Qualys token the simulator issued, every relay
 * JWT sent and the JWT secret.
 */
describe('no credential or token in any response (spec §7)', () => {
  let relay: RelayHarness;
  const exchanges: Exchange[] = [];
  const relayJwts: string[] = [];

  beforeAll(async () => {
    relay = await startRelayHarness({ env: { QUALYS_RETRIES: '0' } });
  });
  afterAll(() => relay.close());

  const jwt = async (claims: Record<string, unknown> = {}, secret = TEST_JWT_SECRET) => {
    const token = await new SignJWT({
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: relay.simulator.url,
      PLATFORM_URL: relay.simulator.url,
      ...claims,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : '1h')
      .sign(new TextEncoder().encode(secret));
    relayJwts.push(token);
    return token;
  };

  const call = async (
    label: string,
    method: string,
    path: string,
    options: { token?: string; body?: string; headers?: Record<string, string> } = {},
  ): Promise<void> => {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      ...options.headers,
    };
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    const response = await fetch(`${relay.url}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    const text = await response.text();
    exchanges.push({
      label,
      text: `${response.status}\n${JSON.stringify([...response.headers])}\n${text}`,
    });
  };

  const observables = JSON.stringify([
    { type: 'md5', value: SIMULATOR_VALUES.md5 },
    { type: 'domain', value: SIMULATOR_VALUES.domain },
    { type: 'url', value: 'https://skipped.example' },
  ]);

  it('answers a run over every route and failure without echoing one secret', async () => {
    const valid = await jwt();
    const relayRoutes = [
      '/health',
      '/observe/observables',
      '/refer/observables',
      '/deliberate/observables',
      '/respond/observables',
      '/respond/trigger',
    ];
    const everyRelayRoute = async (label: string, token: string, body = observables) => {
      for (const path of relayRoutes) await call(`${label} ${path}`, 'POST', path, { token, body });
    };

    // Successes, public and operational routes, an unknown route.
    await everyRelayRoute('valid', valid);
    await call('version', 'POST', '/version', { token: valid });
    await call('watchdog', 'GET', '/watchdog', {
      token: valid,
      headers: { 'Health-Check': 'ping' },
    });
    for (const path of ['/healthz/live', '/healthz/ready', '/metrics', '/docs', '/docs-json']) {
      await call(path, 'GET', path, { token: valid });
    }
    await call('unknown route', 'POST', '/nowhere', { token: valid, body: observables });

    // Refused JWTs and caller errors.
    await everyRelayRoute('bad Qualys password', await jwt({ pass: WRONG_PASSWORD }));
    await everyRelayRoute('expired JWT', await jwt({ exp: Math.floor(Date.now() / 1000) - 3600 }));
    await everyRelayRoute(
      'foreign JWT',
      await jwt({}, 'some-other-secret-that-is-long-enough-0123'),
    );
    await everyRelayRoute(
      'JWT URL off the list',
      await jwt({ API_URL: 'https://evil.example.com' }),
    );
    await everyRelayRoute('malformed body', valid, '[{"type": "md5", ');
    await everyRelayRoute('lone surrogate', valid, '[{"type": "md5", "value": "a\\ud800"}]');

    // Qualys failures, error pages that echo the request among them.
    const qualysFaults = [
      { on: 'search', kind: 'echo-request' },
      { on: 'search', kind: 'echo-request', status: 401 },
      { on: 'search', kind: 'status', status: 403, body: `Forbidden for ${SIMULATOR_USER}` },
      { on: 'search', kind: 'status', status: 500, body: `pass=${SIMULATOR_PASSWORD}` },
      { on: 'search', kind: 'malformed-json' },
      { on: 'search', kind: 'reset' },
    ] as const;
    for (const fault of qualysFaults) {
      relay.simulator.injectFault(fault);
      await everyRelayRoute(`${fault.kind} ${'status' in fault ? fault.status : ''}`, valid);
      relay.simulator.clearFaults();
    }
    relay.simulator.revokeTokens(); // the next calls fetch a token, and meet the /auth faults
    for (const status of [401, 502]) {
      relay.simulator.injectFault({ on: 'auth', kind: 'echo-request', status });
      await everyRelayRoute(`auth echo ${status}`, await jwt({ user: `${SIMULATOR_USER}` }));
      relay.simulator.clearFaults();
    }
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    await everyRelayRoute('unreachable Qualys', await jwt({ API_URL: unreachable }));

    const qualysTokens = [
      ...new Set(
        relay.simulator.stats.requests.flatMap((r) => {
          const token = /^Bearer (\S+)$/.exec(String(r.headers.authorization ?? ''))?.[1];
          return token === undefined ? [] : [token];
        }),
      ),
    ];
    expect(qualysTokens.length).toBeGreaterThan(0);
    expect(exchanges.length).toBeGreaterThan(100);

    const secrets: [string, string][] = [
      ...[SIMULATOR_PASSWORD, WRONG_PASSWORD].flatMap((password): [string, string][] => [
        ['Qualys password', password],
        ['Qualys password, URL-encoded', encodeURIComponent(password)],
        ['Qualys password, form-encoded', new URLSearchParams({ p: password }).toString().slice(2)],
      ]),
      ...qualysTokens.map((token): [string, string] => ['Qualys token', token]),
      ...relayJwts.map((token): [string, string] => ['relay JWT', token]),
      ...relayJwts.map((token): [string, string] => ['relay JWT signature', token.split('.')[2]]),
      ['JWT secret', TEST_JWT_SECRET],
    ];
    const leaks = exchanges.flatMap(({ label, text }) =>
      secrets.filter(([, secret]) => text.includes(secret)).map(([what]) => `${what} in ${label}`),
    );
    expect(leaks).toEqual([]);
  }, 60_000);
});
