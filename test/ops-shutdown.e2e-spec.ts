import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mintRelayToken } from '../src/cli/relay-token.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
} from '../tools/simulator/qualys-simulator.js';
import { compilePrivateBuild, type PrivateBuild } from './support/private-build.js';
import { spawnRelay, until, type RelayProcess } from './support/relay-process.js';

const JWT_SECRET = 'ops-shutdown-secret-0123456789abcdefghij';
const LATENCY_MS = 800;

interface Answer {
  status: number;
  connection: string | undefined;
  body: { data?: { sightings?: { count: number } } };
}

function post(url: string, path: string, token: string, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            body: JSON.parse(text) as Answer['body'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

/**
 * Issue #5.5, on a real process: `node dist/main.js` (compiled here into a
 * private directory, so no concurrent `npm run build` can pull dist/ away),
 * SIGTERM with a request in flight against a slow Qualys.
 */
describe('graceful shutdown of node dist/main.js (issue #5.5)', () => {
  let build: PrivateBuild;
  let simulator: QualysSimulator;
  let relay: RelayProcess;
  let logs: Record<string, unknown>[];
  let exited: RelayProcess['exited'];
  let url: string;

  beforeAll(async () => {
    build = await compilePrivateBuild('relay-shutdown-');
    simulator = await startQualysSimulator({ host: '127.0.0.1', port: 0, latencyMs: LATENCY_MS });
    relay = await spawnRelay(build.dir, {
      AUTH_MODE: 'secret',
      JWT_SECRET,
      QUALYS_ALLOW_INSECURE: 'true',
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    ({ logs, exited, url } = relay);
  }, 120_000);

  afterAll(async () => {
    await relay.kill();
    await simulator.close();
    build.remove();
  });

  it('finishes the in-flight request with 200, refuses new connections, and exits 0', async () => {
    expect(await get(`${url}/healthz/ready`)).toBe(200);
    const token = await mintRelayToken(JWT_SECRET, {
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: simulator.url,
      PLATFORM_URL: simulator.url,
    });
    const inFlight = post(url, '/observe/observables', token, [
      { type: 'sha256', value: SIMULATOR_VALUES.sha256 },
    ]);
    await until(() => simulator.stats.authCalls === 1, 'the relay to call Qualys');
    const signalledAt = Date.now();
    relay.process.kill('SIGTERM');

    await until(
      () => logs.some((line) => line.context === 'GracefulShutdown'),
      'the shutdown to begin',
    );
    await expect(get(`${url}/healthz/ready`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const answer = await inFlight;
    expect(answer).toEqual({
      status: 200,
      connection: 'close',
      body: { data: expect.objectContaining({ sightings: expect.objectContaining({ count: 4 }) }) },
    });
    // The answer needed Qualys' latency after the signal: it really was in flight.
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(LATENCY_MS);

    expect(await exited).toEqual({ code: 0, signal: null });
    expect(
      logs
        .filter((line) => line.context === 'GracefulShutdown')
        .map((line) => [line.msg, line.signal, line.inFlight]),
    ).toEqual([['Shutting down: draining in-flight requests', 'SIGTERM', 1]]);
  });
});
