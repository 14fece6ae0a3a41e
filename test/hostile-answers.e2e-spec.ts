import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { mintRelayToken } from '../src/cli/relay-token.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
} from '../tools/simulator/qualys-simulator.js';
import { compilePrivateBuild, type PrivateBuild } from './support/private-build.js';
import { spawnRelay, type RelayProcess } from './support/relay-process.js';

/**
 * Spec §15: no Qualys answer takes a replica down. Against the relay as it
 * ships — `node dist/main.js` with the image's heap cap — and the simulator's
 * `gzip-bomb`: about 4 KiB on the wire, 4 MiB and 1.4 million `{}` decoded,
 * within `QUALYS_MAX_ANSWER_MB` but far more events than the page asked for.
 */
const JWT_SECRET = 'hostile-answers-secret-0123456789abcdefghij';
const IMAGE_NODE_OPTIONS = '--max-old-space-size=160';
const MIB = 1024 * 1024;

const envelope = (code: string, message: string) => ({
  errors: [{ type: 'fatal', code, message }],
});

/** Peak resident set size of a process so far, bytes (Linux). */
function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]) * 1024;
}

describe('a hostile Qualys answer (spec §15)', () => {
  let build: PrivateBuild;
  let simulator: QualysSimulator;
  let relay: RelayProcess;
  let token: string;

  beforeAll(async () => {
    [build, simulator] = await Promise.all([
      compilePrivateBuild('relay-hostile-answers-'),
      startQualysSimulator(),
    ]);
    relay = await spawnRelay(build.dir, {
      NODE_OPTIONS: IMAGE_NODE_OPTIONS,
      AUTH_MODE: 'secret',
      JWT_SECRET,
      QUALYS_ALLOW_INSECURE: 'true',
      QUALYS_CACHE_TTL_SEC: '0',
    });
    token = await mintRelayToken(JWT_SECRET, {
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: simulator.url,
      PLATFORM_URL: simulator.url,
    });
  }, 120_000);

  afterAll(async () => {
    await relay?.kill();
    await simulator?.close();
    build?.remove();
  });

  const observe = async (observables: { type: string; value: string }[]) =>
    (
      await request(relay.url)
        .post('/observe/observables')
        .set('Authorization', `Bearer ${token}`)
        .send(observables)
        .expect(200)
    ).body as unknown;

  it('answers 4 KiB of gzip holding 1.4 million events with unknown, and stays up for everyone', async () => {
    simulator.injectFault({ on: 'search', kind: 'gzip-bomb', match: { active: true } });
    const bombed = Array.from({ length: 6 }, (_, i) => [
      { type: 'sha256', value: `${String(i)}`.padStart(64, 'b') },
    ]);
    const probes: number[] = [];
    const probing = (async () => {
      for (let i = 0; i < 5; i++) {
        const live = await request(relay.url).get('/healthz/live');
        probes.push(live.status);
      }
    })();
    const bodies = await Promise.all(bombed.map((observables) => observe(observables)));
    await probing;

    const malformed = envelope(
      'unknown',
      'Unexpected response from Qualys IOC: the events answer holds more events than the page size asked for',
    );
    expect(bodies).toEqual(bombed.map(() => malformed));
    expect(probes).toEqual([200, 200, 200, 200, 200]);
    expect(relay.process.exitCode).toBeNull();
    expect(peakRss(relay.process.pid!)).toBeLessThan(300 * MIB);

    simulator.clearFaults();
    const after = (await observe([{ type: 'md5', value: SIMULATOR_VALUES.md5 }])) as {
      data?: { sightings?: { count: number } };
    };
    expect(after.data?.sightings?.count).toBeGreaterThan(0);
  });

  it('answers /health with unknown when Qualys sends more events than its page of one', async () => {
    simulator.injectFault({ on: 'search', kind: 'gzip-bomb', times: 1 });
    const bombed = await request(relay.url)
      .post('/health')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(bombed.body).toEqual(
      envelope(
        'unknown',
        'Unexpected response from Qualys IOC: the events answer holds more events than the page size asked for',
      ),
    );
    // The simulator honours pageSize=1, as Qualys does: a healthy subscription stays healthy.
    const healthy = await request(relay.url)
      .post('/health')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(healthy.body).toEqual({ data: { status: 'ok' } });
  });
});
