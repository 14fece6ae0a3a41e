import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { mintRelayToken } from '../src/cli/relay-token.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
} from '../tools/simulator/qualys-simulator.js';
import { compilePrivateBuild, type PrivateBuild } from './support/private-build.js';
import { spawnRelay, type RelayProcess } from './support/relay-process.js';

/**
 * Spec §11, TLS trust: Node reads NODE_EXTRA_CA_CERTS once, when the process
 * starts, so this runs `node dist/main.js` as child processes with and
 * without it, against an https Qualys stand-in whose certificate comes from
 * a private CA (the test CA, as a corporate CA re-signing TLS would).
 */
const TLS_DIR = new URL('./fixtures/tls/', import.meta.url);
const CA_FILE = fileURLToPath(new URL('ca.crt', TLS_DIR));
const JWT_SECRET = 'egress-ca-e2e-shared-secret-0123456789abcdef';

describe('a corporate CA through NODE_EXTRA_CA_CERTS (spec §11)', () => {
  let build: PrivateBuild;
  let simulator: QualysSimulator;
  const relays: RelayProcess[] = [];

  beforeAll(async () => {
    [build, simulator] = await Promise.all([
      compilePrivateBuild('relay-egress-ca-'),
      startQualysSimulator({
        tls: {
          cert: readFileSync(new URL('server.crt', TLS_DIR)),
          key: readFileSync(new URL('server.key', TLS_DIR)),
        },
      }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.kill()));
    await simulator.close();
    build.remove();
  });

  /** `node dist/main.js` with exactly this environment (npm test's own NODE_EXTRA_CA_CERTS is not inherited). */
  const startRelay = async (extra: Record<string, string>): Promise<string> => {
    const relay = await spawnRelay(build.dir, {
      AUTH_MODE: 'secret',
      JWT_SECRET,
      QUALYS_ALLOW_INSECURE: 'true',
      ...extra,
    });
    relays.push(relay);
    return relay.url;
  };

  const health = async (relayUrl: string) => {
    const apiUrl = `https://localhost:${simulator.port}`;
    const token = await mintRelayToken(JWT_SECRET, {
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: apiUrl,
      PLATFORM_URL: apiUrl,
    });
    return (
      await request(relayUrl).post('/health').set('Authorization', `Bearer ${token}`).expect(200)
    ).body as unknown;
  };

  it('answers that the certificate does not verify when the CA is not configured', async () => {
    expect(await health(await startRelay({}))).toEqual({
      errors: [
        {
          type: 'fatal',
          code: 'unknown',
          message: expect.stringMatching(
            /^Unable to verify SSL certificate: .*(issuer|self.signed|verify)/i,
          ) as unknown,
        },
      ],
    });
    expect(simulator.stats.authCalls).toBe(0);
  });

  it('reaches Qualys when NODE_EXTRA_CA_CERTS names the CA', async () => {
    expect(await health(await startRelay({ NODE_EXTRA_CA_CERTS: CA_FILE }))).toEqual({
      data: { status: 'ok' },
    });
    expect(simulator.stats.authCalls).toBe(1);
  });
});
