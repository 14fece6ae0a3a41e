import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { mintRelayToken } from '../src/cli/relay-token.js';
import type { HostResolver } from '../src/qualys/vetted-lookup.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
} from '../tools/simulator/qualys-simulator.js';
import { startRelayHarness, TEST_JWT_SECRET, type RelayHarness } from './support/relay-harness.js';

const TLS_DIR = new URL('fixtures/tls/', import.meta.url);
/** On the allow-list of these relays, and on `qualys-gateway.crt`. */
const GATEWAY_HOST = 'gateway.qualys.test';

/**
 * Spec §3: a host name on the Qualys allow-list that resolves to an internal
 * address gets no connection. "Qualys" here is an https listener on
 * 127.0.0.1 that counts connections and forwards requests to the simulator;
 * the relay's resolver (`QUALYS_HOST_RESOLVER`) is replaced so that the
 * allow-listed name resolves to it, as a hijacked DNS record would.
 */
describe('the resolved-address check on Qualys connections (spec §3)', () => {
  let upstream: QualysSimulator;
  let gateway: Server;
  let connections = 0;
  let apiUrl: string;
  const asked: string[] = [];
  let strict: RelayHarness;
  let allowListed: RelayHarness;

  const toLoopback: HostResolver = (hostname, _options, callback) => {
    asked.push(hostname);
    if (hostname === GATEWAY_HOST) return callback(null, [{ address: '127.0.0.1', family: 4 }]);
    const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
    error.code = 'ENOTFOUND';
    callback(error, []);
  };

  beforeAll(async () => {
    upstream = await startQualysSimulator();
    gateway = createServer(
      {
        cert: readFileSync(new URL('qualys-gateway.crt', TLS_DIR)),
        key: readFileSync(new URL('server.key', TLS_DIR)),
      },
      (incoming, outgoing) => {
        const forwarded = httpRequest(
          `${upstream.url}${incoming.url ?? '/'}`,
          { method: incoming.method, headers: incoming.headers },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        incoming.pipe(forwarded);
      },
    );
    gateway.on('connection', () => connections++);
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const { port } = gateway.address() as AddressInfo;
    apiUrl = `https://${GATEWAY_HOST}:${port}`;
    const env = {
      QUALYS_ALLOW_INSECURE: 'false',
      QUALYS_HOST_ALLOWLIST: `${GATEWAY_HOST}:${port}`,
    };
    strict = await startRelayHarness({ env, hostResolver: toLoopback });
    allowListed = await startRelayHarness({
      env: { ...env, QUALYS_ADDRESS_ALLOWLIST: '127.0.0.0/8' },
      hostResolver: toLoopback,
    });
  });
  afterAll(async () => {
    await strict.close();
    await allowListed.close();
    gateway.closeAllConnections();
    await new Promise<void>((resolve) => gateway.close(() => resolve()));
    await upstream.close();
  });

  const call = async (relay: RelayHarness, path: string) => {
    const token = await mintRelayToken(TEST_JWT_SECRET, {
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: apiUrl,
      PLATFORM_URL: apiUrl,
    });
    const response = await request(relay.url)
      .post(path)
      .set('Authorization', `Bearer ${token}`)
      .send([{ type: 'md5', value: SIMULATOR_VALUES.md5 }])
      .expect(200);
    return response.body as unknown;
  };

  it('answers connection error and opens no connection when the name resolves to loopback', async () => {
    connections = 0;
    asked.length = 0;
    const refused = {
      errors: [
        {
          type: 'fatal',
          code: 'connection error',
          message: `Unable to connect to Qualys IOC, validate the configured API URL: ${apiUrl}`,
        },
      ],
    };
    expect(await call(strict, '/health')).toEqual(refused);
    expect(await call(strict, '/observe/observables')).toEqual(refused);
    // The name was resolved (and its address refused): the host-name check let it through.
    expect(asked.length).toBeGreaterThan(0);
    expect(new Set(asked)).toEqual(new Set([GATEWAY_HOST]));
    expect(connections).toBe(0);
    expect(upstream.stats.requests).toEqual([]);
  });

  it('reaches the same listener when QUALYS_ADDRESS_ALLOWLIST covers the address', async () => {
    connections = 0;
    expect(await call(allowListed, '/health')).toEqual({ data: { status: 'ok' } });
    const observed = (await call(allowListed, '/observe/observables')) as {
      data: { sightings: { count: number } };
    };
    expect(observed.data.sightings.count).toBe(4);
    expect(connections).toBeGreaterThan(0);
    expect(upstream.stats.requests.map((r) => r.path)).toEqual([
      '/auth',
      '/ioc/events',
      '/ioc/events',
      '/ioc/events',
    ]);
  });
});
