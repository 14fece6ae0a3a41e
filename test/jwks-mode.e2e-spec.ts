import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { validateObserveResponse } from '../tools/lib/ctim-validator.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import {
  generateRsaKeyPairJwk,
  mintJwksToken,
  mintSecretToken,
  type RsaKeyPairJwk,
} from './support/jwt-factory.js';
import { startRelayHarness, TEST_JWT_SECRET, type RelayHarness } from './support/relay-harness.js';

const AUDIENCE = 'https://qualys-relay.e2e.example';

/**
 * Spec §3, Cisco-hosted mode end to end: an RS256 configuration token signed
 * by "Threat Response", its key served by a local https JWKS host (trusted
 * through NODE_EXTRA_CA_CERTS), carrying the Qualys credentials and API URL
 * of the simulator that the relay then calls.
 */
describe('AUTH_MODE=jwks on /health and /observe (spec §3)', () => {
  let relay: RelayHarness;
  let jwks: JwksServer;
  let key: RsaKeyPairJwk;

  beforeAll(async () => {
    key = await generateRsaKeyPairJwk('xdr-e2e');
    jwks = await startJwksServer({ keys: { keys: [key.publicJwk] } });
    relay = await startRelayHarness({
      env: { AUTH_MODE: 'jwks', JWT_AUDIENCE: AUDIENCE, JWKS_HOST_ALLOWLIST: jwks.host },
    });
  });
  afterAll(async () => {
    await relay.close();
    await jwks.close();
  });

  const claims = (extra: Record<string, unknown> = {}) => ({
    user: SIMULATOR_USER,
    pass: SIMULATOR_PASSWORD,
    API_URL: relay.simulator.url,
    PLATFORM_URL: relay.simulator.url,
    jwks_host: jwks.host,
    ...extra,
  });
  const post = (path: string, token: string) =>
    request(relay.url)
      .post(path)
      .set('Authorization', `Bearer ${token}`)
      .send([{ type: 'md5', value: SIMULATOR_VALUES.md5 }])
      .expect(200)
      .then((response) => response.body as unknown);

  it('checks Qualys and observes with the credentials the RS256 token carries', async () => {
    const token = await mintJwksToken(key.privateKey, key.kid, claims(), { audience: AUDIENCE });
    expect(await post('/health', token)).toEqual({ data: { status: 'ok' } });
    const observed = (await post('/observe/observables', token)) as {
      data: { sightings: { count: number } };
    };
    expect(validateObserveResponse(observed)).toEqual([]);
    expect(observed.data.sightings.count).toBe(4);
    // The token's credentials reached Qualys; the key set was fetched once for both requests.
    const auth = relay.simulator.stats.requests.filter((r) => r.path === '/auth');
    expect(auth.map((r) => Object.fromEntries(new URLSearchParams(r.body)))).toEqual([
      { username: SIMULATOR_USER, password: SIMULATOR_PASSWORD, token: 'true' },
    ]);
    expect(jwks.requests).toBe(1);
  });

  it.each([
    [
      'a token for another audience',
      () => mintJwksToken(key.privateKey, key.kid, claims(), { audience: 'https://other.example' }),
      'Wrong configuration-token-audience',
    ],
    [
      'a secret-mode (HS256) token',
      () => mintSecretToken(TEST_JWT_SECRET, claims(), { audience: AUDIENCE }),
      'Failed to decode JWT with provided key',
    ],
    [
      'a jwks_host off the allow-list',
      () =>
        mintJwksToken(key.privateKey, key.kid, claims({ jwks_host: 'visibility.amp.cisco.com' }), {
          audience: AUDIENCE,
        }),
      'Wrong jwks_host in JWT payload',
    ],
  ])('refuses %s on both routes without calling Qualys', async (_name, mint, reason) => {
    relay.simulator.resetStats();
    const token = await mint();
    const refused = {
      errors: [
        { type: 'fatal', code: 'authorization error', message: `Authorization failed: ${reason}` },
      ],
    };
    expect(await post('/health', token)).toEqual(refused);
    expect(await post('/observe/observables', token)).toEqual(refused);
    expect(relay.simulator.stats.requests).toEqual([]);
  });
});
