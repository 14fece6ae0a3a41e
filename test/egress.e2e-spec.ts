import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import {
  startForwardProxy,
  startRefusingProxy,
  type ForwardProxy,
} from './support/forward-proxy.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { generateRsaKeyPairJwk, mintJwksToken } from './support/jwt-factory.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

/**
 * Spec §11 end to end: a relay configured only with the standard proxy
 * variables reaches Qualys (an https simulator, so CONNECT tunnels) and the
 * JWKS host through a real forward proxy on loopback, which counts them.
 */
const TLS_DIR = new URL('./fixtures/tls/', import.meta.url);
const TLS = {
  cert: readFileSync(new URL('server.crt', TLS_DIR)),
  key: readFileSync(new URL('server.key', TLS_DIR)),
};
const PROXY_USER = 'relay-egress';
const PROXY_PASS = 'pr0xy-s3cret&=';
const OBSERVABLES = [{ type: 'md5', value: SIMULATOR_VALUES.md5 }];

async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const proxyUrl = (proxy: { port: number }, user = PROXY_USER, pass = PROXY_PASS) =>
  `http://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${proxy.port}`;

describe('Qualys through the egress proxy (spec §11)', () => {
  let proxy: ForwardProxy;

  beforeAll(async () => {
    proxy = await startForwardProxy({ user: PROXY_USER, pass: PROXY_PASS });
  });
  afterAll(() => proxy.close());

  /** A relay with `env` against an https simulator; `post` calls it with a token naming `host` as Qualys. */
  const withRelay = async (
    env: Record<string, string>,
    use: (
      relay: RelayHarness,
      post: (path: string, host?: string) => Promise<unknown>,
    ) => Promise<void>,
    simulatorPort = 0,
  ) => {
    const relay = await startRelayHarness({ env, simulator: { tls: TLS, port: simulatorPort } });
    try {
      const post = async (path: string, host = 'localhost') => {
        const apiUrl = `https://${host}:${relay.simulator.port}`;
        const token = await relay.token({ API_URL: apiUrl, PLATFORM_URL: apiUrl });
        const response = await request(relay.url)
          .post(path)
          .set('Authorization', `Bearer ${token}`)
          .send(OBSERVABLES);
        return response.body as unknown;
      };
      await use(relay, post);
    } finally {
      await relay.close();
    }
  };

  it("answers /health and /observe through a CONNECT tunnel, authenticating with the proxy URL's credentials", async () => {
    proxy.reset();
    await withRelay({ HTTPS_PROXY: proxyUrl(proxy) }, async (relay, post) => {
      expect(await post('/health')).toEqual({ data: { status: 'ok' } });
      const observed = (await post('/observe/observables')) as {
        data: { sightings: { count: number } };
      };
      expect(observed.data.sightings.count).toBe(4);
      const target = `localhost:${relay.simulator.port}`;
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
      expect(new Set(proxy.tunnels)).toEqual(new Set([target]));
      expect(new Set(proxy.credentials)).toEqual(new Set([`${PROXY_USER}:${PROXY_PASS}`]));
      expect(relay.simulator.stats.searchCalls).toBe(3); // the health search and the two of /observe
    });
  });

  it.each<[string, string, string]>([
    ['an exact host', 'localhost', 'localhost'],
    ['a leading-dot domain', '.localhost', 'localhost'],
    ['host:port', 'localhost:PORT', 'localhost'],
    ['an IP literal', '127.0.0.1', '127.0.0.1'],
    ['a CIDR range', '127.0.0.0/8', '127.0.0.1'],
    ['*', 'internal.example, *', 'localhost'],
  ])('goes direct when NO_PROXY names the host by %s', async (_what, noProxy, host) => {
    proxy.reset();
    const port = await closedPort(); // free now: the simulator listens there, so NO_PROXY can name it
    const env = { HTTPS_PROXY: proxyUrl(proxy), NO_PROXY: noProxy.replace('PORT', String(port)) };
    await withRelay(
      env,
      async (_relay, post) => {
        expect(await post('/health', host)).toEqual({ data: { status: 'ok' } });
        expect(proxy.tunnels).toEqual([]);
      },
      port,
    );
  });

  it('uses the proxy for a host:port entry of another port', async () => {
    proxy.reset();
    await withRelay(
      { HTTPS_PROXY: proxyUrl(proxy), NO_PROXY: 'localhost:1' },
      async (relay, post) => {
        expect(await post('/health')).toEqual({ data: { status: 'ok' } });
        expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
        expect(new Set(proxy.tunnels)).toEqual(new Set([`localhost:${relay.simulator.port}`]));
      },
    );
  });

  it('never sends https through HTTP_PROXY', async () => {
    proxy.reset();
    await withRelay({ HTTP_PROXY: proxyUrl(proxy) }, async (_relay, post) => {
      expect(await post('/health')).toEqual({ data: { status: 'ok' } });
      expect([proxy.tunnels, proxy.requests]).toEqual([[], []]);
    });
  });

  it('answers connection error naming the proxy, never its credentials, when it wants other credentials (407)', async () => {
    await withRelay(
      { HTTPS_PROXY: proxyUrl(proxy, PROXY_USER, 'wrong-password') },
      async (_relay, post) => {
        const body = await post('/observe/observables');
        expect(body).toEqual({
          errors: [
            {
              type: 'fatal',
              code: 'connection error',
              message: `Unable to connect to Qualys IOC through the proxy 127.0.0.1:${proxy.port}: the proxy refused the tunnel (HTTP 407)`,
            },
          ],
        });
        expect(JSON.stringify(body)).not.toContain('wrong-password');
      },
    );
  });

  it('answers connection error naming the proxy when it refuses the tunnel (403)', async () => {
    const refusing = await startRefusingProxy(403);
    try {
      await withRelay({ HTTPS_PROXY: refusing.url }, async (_relay, post) => {
        expect(await post('/health')).toEqual({
          errors: [
            {
              type: 'fatal',
              code: 'connection error',
              message: `Unable to connect to Qualys IOC through the proxy 127.0.0.1:${refusing.port}: the proxy refused the tunnel (HTTP 403)`,
            },
          ],
        });
      });
    } finally {
      await refusing.close();
    }
  });

  it('answers connection error naming the proxy when it cannot be reached', async () => {
    const port = await closedPort();
    await withRelay(
      { HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASS}@127.0.0.1:${port}` },
      async (_relay, post) => {
        const body = await post('/health');
        expect(body).toEqual({
          errors: [
            {
              type: 'fatal',
              code: 'connection error',
              message: `Unable to connect to Qualys IOC through the proxy 127.0.0.1:${port}: the proxy cannot be reached`,
            },
          ],
        });
        expect(JSON.stringify(body)).not.toContain(PROXY_PASS);
      },
    );
  });
});

describe('plain-http Qualys through HTTP_PROXY (spec §11)', () => {
  it('sends http targets through HTTP_PROXY (undici tunnels them with CONNECT too)', async () => {
    const proxy = await startForwardProxy();
    const relay = await startRelayHarness({ env: { HTTP_PROXY: proxy.url } });
    try {
      const token = await relay.token();
      const response = await request(relay.url)
        .post('/health')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(response.body).toEqual({ data: { status: 'ok' } });
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
      expect(new Set(proxy.tunnels)).toEqual(new Set([new URL(relay.simulator.url).host]));
    } finally {
      await relay.close();
      await proxy.close();
    }
  });
});

describe('JWKS keys through the egress proxy (spec §11)', () => {
  const AUDIENCE = 'https://qualys-relay.egress.example';
  let proxy: ForwardProxy;
  let jwks: JwksServer;
  let relay: RelayHarness;

  beforeAll(async () => {
    proxy = await startForwardProxy({ user: PROXY_USER, pass: PROXY_PASS });
    jwks = await startJwksServer({ keys: { keys: [] } });
    relay = await startRelayHarness({
      env: {
        AUTH_MODE: 'jwks',
        JWT_AUDIENCE: AUDIENCE,
        JWKS_HOST_ALLOWLIST: jwks.host,
        HTTPS_PROXY: proxyUrl(proxy),
        // Qualys (plain http here) goes direct; the JWKS host (https) through the proxy.
      },
    });
  });
  afterAll(async () => {
    await relay.close();
    await jwks.close();
    await proxy.close();
  });

  it('fetches the signing key through a CONNECT tunnel, then observes', async () => {
    const key = await generateRsaKeyPairJwk('egress-kid');
    jwks.setKeys({ keys: [key.publicJwk] });
    const token = await mintJwksToken(
      key.privateKey,
      key.kid,
      {
        user: SIMULATOR_USER,
        pass: SIMULATOR_PASSWORD,
        API_URL: relay.simulator.url,
        PLATFORM_URL: relay.simulator.url,
        jwks_host: jwks.host,
      },
      { audience: AUDIENCE },
    );
    const response = await request(relay.url)
      .post('/observe/observables')
      .set('Authorization', `Bearer ${token}`)
      .send(OBSERVABLES)
      .expect(200);
    expect((response.body as { data: { sightings: { count: number } } }).data.sightings.count).toBe(
      4,
    );
    expect(proxy.tunnels).toEqual([jwks.host]);
    expect(jwks.requests).toBe(1);
  });

  it('answers its usual authorization error when the proxy refuses the JWKS fetch', async () => {
    const refusing = await startRefusingProxy(403);
    const strict = await startRelayHarness({
      env: {
        AUTH_MODE: 'jwks',
        JWT_AUDIENCE: AUDIENCE,
        JWKS_HOST_ALLOWLIST: jwks.host,
        HTTPS_PROXY: refusing.url,
      },
    });
    try {
      const key = await generateRsaKeyPairJwk('refused-kid');
      const token = await mintJwksToken(
        key.privateKey,
        key.kid,
        { user: 'u', pass: 'p', jwks_host: jwks.host },
        { audience: AUDIENCE },
      );
      const response = await request(strict.url)
        .post('/health')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(response.body).toEqual({
        errors: [
          {
            type: 'fatal',
            code: 'authorization error',
            message: `Authorization failed: Unable to fetch the JWKS from ${jwks.host}`,
          },
        ],
      });
    } finally {
      await strict.close();
      await refusing.close();
    }
  });
});
