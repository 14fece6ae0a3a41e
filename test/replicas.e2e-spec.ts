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
import { startRedisServer, type RedisServerHandle } from '../tools/lib/redis-server.js';
import { spawnRelay, until, type RelayProcess } from './support/relay-process.js';

/**
 * Spec §9, several replicas: two relay processes (`node dist/main.js`) share
 * one real redis-server and one Qualys simulator that allows 2 concurrent
 * calls. Counted on the simulator's side.
 */
const V = SIMULATOR_VALUES;
const JWT_SECRET = 'replicas-e2e-shared-secret-0123456789abcdef';
const CACHE_ENCRYPTION_KEY = 'replicas-e2e-cache-encryption-key-0123456789';

type Replica = RelayProcess;

describe('two replicas sharing Redis (spec §9)', () => {
  let build: PrivateBuild;
  let redis: RedisServerHandle;
  let simulator: QualysSimulator;
  let replicas: Replica[] = [];
  let token: string;

  const startReplica = (): Promise<Replica> =>
    spawnRelay(build.dir, {
      AUTH_MODE: 'secret',
      JWT_SECRET,
      QUALYS_ALLOW_INSECURE: 'true',
      QUALYS_SUBSCRIPTION_CONCURRENCY: '2',
      QUALYS_CACHE_TTL_SEC: '60',
      // A search per observable and state: the load these specs put on the shared limits.
      QUALYS_BATCH_SIZE: '1',
      QUALYS_RETRIES: '0', // a refused call would fail its request
      REDIS_URL: redis.url,
      CACHE_ENCRYPTION_KEY,
    });

  const observe = async (replica: Replica, observables: { type: string; value: string }[]) =>
    (
      await request(replica.url)
        .post('/observe/observables')
        .set('Authorization', `Bearer ${token}`)
        .send(observables)
        .expect(200)
    ).body as { data?: { sightings?: { count: number } }; errors?: unknown };

  const redisState = async (replica: Replica): Promise<string | undefined> => {
    const metrics = (await request(replica.url).get('/metrics').expect(200)).text;
    return /relay_redis_state\{state="(\w+)"\} 1/.exec(metrics)?.[1];
  };

  /** Distinct values that match nothing: every search is a Qualys call, none is cached yet. */
  const fresh = (tag: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      type: 'sha256',
      value: `${tag}${i}`.padEnd(64, '0'),
    }));

  beforeAll(async () => {
    [build, redis, simulator] = await Promise.all([
      compilePrivateBuild('relay-replicas-'),
      startRedisServer(),
      startQualysSimulator({ latencyMs: 100, concurrencyLimit: 2 }),
    ]);
    replicas = [await startReplica(), await startReplica()];
    await until(
      async () => (await Promise.all(replicas.map(redisState))).every((s) => s === 'up'),
      'Redis up',
    );
    token = await mintRelayToken(JWT_SECRET, {
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: simulator.url,
      PLATFORM_URL: simulator.url,
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.kill()));
    await Promise.all([simulator?.close(), redis?.close()]);
    build?.remove();
  });

  it("never exceeds the subscription's 2 concurrent calls when both are loaded together", async () => {
    simulator.resetStats();
    const bodies = await Promise.all([
      observe(replicas[0], fresh('a', 6)),
      observe(replicas[1], fresh('b', 6)),
      observe(replicas[0], fresh('c', 4)),
      observe(replicas[1], fresh('d', 4)),
    ]);
    expect(bodies).toEqual([{ data: {} }, { data: {} }, { data: {} }, { data: {} }]);
    expect(simulator.stats.searchCalls).toBe(40);
    expect(simulator.stats.refusals).toEqual({ concurrency: 0, rate: 0 });
    expect(simulator.stats.peakRunningSearches.overall).toBe(2);
  });

  it('serves a search done through one replica from the cache through the other', async () => {
    const observables = [
      { type: 'md5', value: V.md5 },
      { type: 'domain', value: V.domain },
    ];
    simulator.resetStats();
    const first = await observe(replicas[0], observables);
    expect(simulator.stats.searchCalls).toBe(4);
    const second = await observe(replicas[1], observables);
    expect(simulator.stats.searchCalls).toBe(4);
    expect(second.data?.sightings?.count).toBe(first.data?.sightings?.count);
  });

  it('keeps no user name, API URL, observable or event field in clear in Redis', async () => {
    const dump = JSON.stringify(await redis.dumpValues());
    expect(dump.length).toBeGreaterThan(100); // the cache above is really in there
    for (const clear of [
      V.md5,
      V.domain,
      'FIN-LT-0042',
      SIMULATOR_USER,
      simulator.url,
      String(simulator.port),
    ]) {
      expect([clear, dump.includes(clear)]).toEqual([clear, false]);
    }
  });

  it('fails no request while Redis is down, warns once per replica, and shares again once it is back', async () => {
    const load = async (replica: Replica, tag: string) => {
      const bodies = [];
      for (let i = 0; i < 8; i++) bodies.push(await observe(replica, fresh(`${tag}${i}-`, 1)));
      return bodies;
    };
    const loading = Promise.all([load(replicas[0], 'x'), load(replicas[1], 'y')]);
    await until(() => simulator.stats.searchCalls > 4, 'the load to start');
    await redis.stop();
    const bodies = (await loading).flat();
    expect(bodies.every((body) => JSON.stringify(body) === '{"data":{}}')).toBe(true);
    expect(await Promise.all(replicas.map(redisState))).toEqual(['down', 'down']);
    for (const replica of replicas) {
      expect(
        replica.logs.filter((line) => String(line.msg).startsWith('Redis unreachable')),
      ).toHaveLength(1);
    }

    await redis.start();
    await until(
      async () => (await Promise.all(replicas.map(redisState))).every((s) => s === 'up'),
      'Redis back',
    );
    simulator.resetStats();
    await observe(replicas[0], [{ type: 'ip', value: V.ip }]);
    expect(simulator.stats.searchCalls).toBe(2);
    await observe(replicas[1], [{ type: 'ip', value: V.ip }]);
    expect(simulator.stats.searchCalls).toBe(2);
  });
});
