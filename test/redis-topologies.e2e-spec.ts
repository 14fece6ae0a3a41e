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
import {
  startRedisCluster,
  startSentinelSet,
  type RedisClusterHandle,
  type SentinelSet,
} from './support/redis-topologies.js';
import { spawnRelay, until, type RelayProcess } from './support/relay-process.js';

/**
 * Spec §14: the shared state of §9 on Redis Sentinel and Redis Cluster,
 * each with two relay processes (`node dist/main.js`) and the Qualys
 * simulator, counted on the simulator's side.
 */
const V = SIMULATOR_VALUES;
const JWT_SECRET = 'topologies-e2e-shared-secret-0123456789abcdef';
const CACHE_ENCRYPTION_KEY = 'topologies-e2e-cache-encryption-key-0123456789';

let build: PrivateBuild;

beforeAll(async () => {
  build = await compilePrivateBuild('relay-topologies-');
}, 120_000);

afterAll(() => build?.remove());

/** Two relays on one topology, the simulator, a token, and the helpers the tests share. */
function twoRelays(
  redisEnv: () => Record<string, string>,
  simulatorOptions: Parameters<typeof startQualysSimulator>[0],
) {
  const state = {
    simulator: undefined as unknown as QualysSimulator,
    relays: [] as RelayProcess[],
    token: '',
  };
  const start = async () => {
    state.simulator = await startQualysSimulator(simulatorOptions);
    const env = {
      AUTH_MODE: 'secret',
      JWT_SECRET,
      QUALYS_ALLOW_INSECURE: 'true',
      QUALYS_SUBSCRIPTION_CONCURRENCY: '2',
      QUALYS_CACHE_TTL_SEC: '60',
      // A search per observable and state: the load these specs put on the shared limits.
      QUALYS_BATCH_SIZE: '1',
      QUALYS_RETRIES: '0', // a refused call would fail its request
      CACHE_ENCRYPTION_KEY,
      ...redisEnv(),
    };
    state.relays = await Promise.all([spawnRelay(build.dir, env), spawnRelay(build.dir, env)]);
    await until(async () => (await states()).every((s) => s === 'up'), 'Redis up', 20_000);
    state.token = await mintRelayToken(JWT_SECRET, {
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: state.simulator.url,
      PLATFORM_URL: state.simulator.url,
    });
  };
  const stop = async () => {
    await Promise.all(state.relays.map((relay) => relay.kill()));
    await state.simulator?.close();
  };
  const observe = async (relay: RelayProcess, observables: { type: string; value: string }[]) =>
    (
      await request(relay.url)
        .post('/observe/observables')
        .set('Authorization', `Bearer ${state.token}`)
        .send(observables)
        .expect(200)
    ).body as { data?: { sightings?: { count: number } }; errors?: unknown };
  const redisState = async (relay: RelayProcess): Promise<string | undefined> => {
    const metrics = (await request(relay.url).get('/metrics').expect(200)).text;
    return /relay_redis_state\{state="(\w+)"\} 1/.exec(metrics)?.[1];
  };
  const states = () => Promise.all(state.relays.map(redisState));
  /** A search done through one relay is served to the other from the shared cache. */
  const crossRelayCacheHit = async () => {
    const observables = [
      { type: 'md5', value: V.md5 },
      { type: 'domain', value: V.domain },
    ];
    state.simulator.resetStats();
    const first = await observe(state.relays[0], observables);
    expect(state.simulator.stats.searchCalls).toBe(4);
    const second = await observe(state.relays[1], observables);
    expect(state.simulator.stats.searchCalls).toBe(4);
    expect(first.data?.sightings?.count).toBeGreaterThan(0);
    expect(second.data?.sightings?.count).toBe(first.data?.sightings?.count);
  };
  return { state, start, stop, observe, states, crossRelayCacheHit };
}

/** Distinct values that match nothing: every search is a Qualys call, none is cached yet. */
const fresh = (tag: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    type: 'sha256',
    value: `${tag}${i}`.padEnd(64, '0'),
  }));

describe('Redis Sentinel: the primary dies under load', () => {
  let sentinels: SentinelSet;
  const relays = twoRelays(
    () => ({ REDIS_SENTINELS: sentinels.sentinels, REDIS_SENTINEL_MASTER: sentinels.masterName }),
    { latencyMs: 20 },
  );

  beforeAll(async () => {
    sentinels = await startSentinelSet();
    await relays.start();
  }, 60_000);

  afterAll(async () => {
    await relays.stop();
    await sentinels?.close();
  });

  it('fails no request while Sentinel promotes the replica, then shares again on the new primary', async () => {
    const { state } = relays;
    let failedOver = false;
    const bodies: unknown[] = [];
    /** Requests one after another until the failover is over, and a few more. */
    const load = async (relay: RelayProcess, tag: string) => {
      for (let i = 0, after = 0; after < 5; i++) {
        bodies.push(await relays.observe(relay, fresh(`${tag}${i}-`, 2)));
        if (failedOver) after++;
      }
    };
    const loading = Promise.all(
      state.relays.flatMap((relay, r) => [load(relay, `s${r}a`), load(relay, `s${r}b`)]),
    );
    await until(() => state.simulator.stats.searchCalls > 20, 'the load to start');
    await sentinels.primary.stop();
    await until(
      async () => (await sentinels.primaryPort()) === sentinels.replica.port,
      'Sentinel to promote the replica',
    );
    await until(async () => (await relays.states()).every((s) => s === 'up'), 'sharing again');
    failedOver = true;
    await loading;

    expect(bodies.length).toBeGreaterThan(20);
    expect(bodies.filter((body) => JSON.stringify(body) !== '{"data":{}}')).toEqual([]);
    for (const relay of state.relays) {
      const lines = relay.logs.map((line) => String(line.msg));
      expect([
        lines.filter((msg) => msg.startsWith('Redis unreachable')).length,
        lines.filter((msg) => msg.endsWith('limits and cache are shared again')).length,
      ]).toEqual([1, 1]);
    }
    await relays.crossRelayCacheHit();
  }, 60_000);
});

describe('Redis Cluster: three primaries', () => {
  let cluster: RedisClusterHandle;
  const relays = twoRelays(() => ({ REDIS_CLUSTER_NODES: cluster.seeds }), {
    latencyMs: 100,
    concurrencyLimit: 2,
  });

  beforeAll(async () => {
    cluster = await startRedisCluster();
    await relays.start();
  }, 60_000);

  afterAll(async () => {
    await relays.stop();
    await cluster?.close();
  });

  it("never exceeds the subscription's 2 concurrent calls across both relays", async () => {
    const { state } = relays;
    state.simulator.resetStats();
    const bodies = await Promise.all([
      relays.observe(state.relays[0], fresh('a', 6)),
      relays.observe(state.relays[1], fresh('b', 6)),
      relays.observe(state.relays[0], fresh('c', 4)),
      relays.observe(state.relays[1], fresh('d', 4)),
    ]);
    expect(bodies).toEqual([{ data: {} }, { data: {} }, { data: {} }, { data: {} }]);
    expect(state.simulator.stats.searchCalls).toBe(40);
    expect(state.simulator.stats.refusals).toEqual({ concurrency: 0, rate: 0 });
    expect(state.simulator.stats.peakRunningSearches.overall).toBe(2);
  });

  it('serves a search done through one relay from the cache through the other', async () => {
    await relays.crossRelayCacheHit();
  });

  it('keeps no user name, API URL or observable in clear on any node', async () => {
    const { simulator } = relays.state;
    const dumps = await Promise.all(cluster.nodes.map((node) => node.dumpValues()));
    const dump = JSON.stringify(dumps);
    expect(dumps.flat().length).toBeGreaterThan(2); // the cache above is really in there
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
});
