import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { mintRelayToken } from '../src/cli/relay-token.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { startQualysSimulator, type QualysSimulator } from '../tools/simulator/qualys-simulator.js';
import { startRelayHarness, TEST_JWT_SECRET, type RelayHarness } from './support/relay-harness.js';

const V = SIMULATOR_VALUES;

describe('per-request credentials never mix (spec §3, §7)', () => {
  let relay: RelayHarness;
  let other: QualysSimulator;

  beforeAll(async () => {
    relay = await startRelayHarness({
      simulator: { credentials: { alice: 'alice-pass&1', shared: 'shared-pass-A' }, latencyMs: 30 },
    });
    other = await startQualysSimulator({
      credentials: { bob: 'bob-pass=2', shared: 'shared-pass-B' },
      latencyMs: 30,
    });
  });
  afterAll(async () => {
    await relay.close();
    await other.close();
  });

  const observe = async (user: string, pass: string, apiUrl: string) => {
    const token = await mintRelayToken(TEST_JWT_SECRET, {
      user,
      pass,
      API_URL: apiUrl,
      PLATFORM_URL: apiUrl,
    });
    const response = await request(relay.url)
      .post('/observe/observables')
      .set('Authorization', `Bearer ${token}`)
      .send([{ type: 'md5', value: V.md5 }])
      .expect(200);
    return response.body as { data?: { sightings: { count: number } }; errors?: unknown };
  };

  it('sends each caller to its own Qualys with its own credentials, concurrently', async () => {
    relay.simulator.resetStats();
    other.resetStats();
    const a = relay.simulator.url;
    const b = other.url;
    const callers: [string, string, string][] = [
      ['alice', 'alice-pass&1', a],
      ['bob', 'bob-pass=2', b],
      // Same user name on both platforms, different passwords: separate tokens.
      ['shared', 'shared-pass-A', a],
      ['shared', 'shared-pass-B', b],
    ];
    const bodies = await Promise.all(
      Array.from({ length: 5 }, () =>
        callers.map(([user, pass, url]) => observe(user, pass, url)),
      ).flat(),
    );
    for (const body of bodies) {
      expect(body.errors).toBeUndefined();
      expect(body.data?.sightings.count).toBe(4);
    }
    const authUsers = (simulator: QualysSimulator) =>
      simulator.stats.requests
        .filter((r) => r.path === '/auth')
        .map((r) => new URLSearchParams(r.body).get('username'))
        .sort();
    // One token per (API URL, credentials), fetched once despite 5 concurrent callers each.
    expect(authUsers(relay.simulator)).toEqual(['alice', 'shared']);
    expect(authUsers(other)).toEqual(['bob', 'shared']);
    // Every search reached the platform of its caller, as its caller (the
    // simulator charges a search to the user whose token it carries).
    // Identical searches in flight may share a call (spec §9), never across
    // credential sets: each set made its own active and historical searches.
    const searchers = (simulator: QualysSimulator) => {
      const byUser: Record<string, number> = {};
      for (const { user } of simulator.stats.searches)
        byUser[String(user)] = (byUser[String(user)] ?? 0) + 1;
      return byUser;
    };
    expect(searchers(relay.simulator)).toEqual({
      alice: expect.any(Number),
      shared: expect.any(Number),
    });
    expect(searchers(other)).toEqual({ bob: expect.any(Number), shared: expect.any(Number) });
    for (const counts of [searchers(relay.simulator), searchers(other)]) {
      for (const count of Object.values(counts)) expect(count).toBeGreaterThanOrEqual(2);
    }
  });

  it('never lets one caller use a token fetched for another', async () => {
    other.resetStats();
    // Wrong password for bob: had the relay reused bob's cached token, this would succeed.
    expect(await observe('bob', 'not-bobs-password', other.url)).toEqual({
      errors: [
        {
          type: 'fatal',
          code: 'authorization error',
          message: 'Authorization failed: InvalidCredentialsException',
        },
      ],
    });
    expect(other.stats.searchCalls).toBe(0);
  });
});

describe('a token naming a host outside the allow-lists causes no outbound connection', () => {
  let relay: RelayHarness;
  let listener: Server;
  let connections = 0;
  let port: number;

  beforeAll(async () => {
    // Every URL below really names the counting listener: names resolve to
    // 127.0.0.1 (as a hijacked DNS record would), and the resolved-address
    // check lets loopback through, so the URL policy alone stands between
    // the token and the listener. Without it, each row would connect.
    relay = await startRelayHarness({
      env: { QUALYS_ALLOW_INSECURE: 'false', QUALYS_ADDRESS_ALLOWLIST: '127.0.0.0/8,0.0.0.0/8' },
      hostResolver: (_hostname, _options, callback) =>
        callback(null, [{ address: '127.0.0.1', family: 4 }]),
    });
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await relay.close();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  it.each([
    [
      'https loopback',
      () => `https://127.0.0.1:${port}`,
      'API_URL in JWT payload names a loopback, private or link-local address',
    ],
    ['http loopback', () => `http://127.0.0.1:${port}`, 'API_URL in JWT payload must use https'],
    [
      'a host off the list',
      () => `https://gateway.qg1.apps.qualys.com.evil.example:${port}`,
      'API_URL in JWT payload names a host that is not on the allowed Qualys host list',
    ],
    [
      // Connecting to 0.0.0.0 reaches a listener on 127.0.0.1 (Linux, macOS).
      'a private address',
      () => `https://0.0.0.0:${port}`,
      'API_URL in JWT payload names a loopback, private or link-local address',
    ],
  ])('refuses %s before any request leaves the relay', async (_name, apiUrl, reason) => {
    connections = 0;
    const token = await relay.token({
      API_URL: apiUrl(),
      PLATFORM_URL: 'https://qualysguard.qg1.apps.qualys.com',
    });
    for (const path of ['/observe/observables', '/health', '/refer/observables']) {
      const response = await request(relay.url)
        .post(path)
        .set('Authorization', `Bearer ${token}`)
        .send([{ type: 'ip', value: '1.2.3.4' }])
        .expect(200);
      expect(response.body).toEqual({
        errors: [
          {
            type: 'fatal',
            code: 'authorization error',
            message: `Authorization failed: ${reason}`,
          },
        ],
      });
    }
    expect(connections).toBe(0);
    expect(relay.simulator.stats.requests).toEqual([]);
  });
});
