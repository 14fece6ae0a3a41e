import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import { testRelayConfig } from './support/jwt-test-config.js';
import { startRedisServer, type RedisServerHandle } from '../tools/lib/redis-server.js';
import { eventually, settlesWithin } from './support/timing.js';
import type { RelayConfig } from '../src/config/relay-config.js';
import type { CachedSearch, GateAnswer } from '../src/qualys/limits/limit-stores.js';
import { createLimitStores, type LimitStores } from '../src/qualys/limits/limit-stores.factory.js';

const SECRET = 'a-cache-encryption-key-of-32-chars!!';
const API = 'https://gateway.qg2.apps.qualys.eu';
const USER = 'acme_ab12';
const LEASE_MS = 10_000;
const ANSWER: CachedSearch = {
  pageSize: 100,
  eventsJson: '[{"id":"evt-1"}]',
  fetchedAt: 1_715_677_964_000,
};

const warnings: string[] = [];
const capture: LoggerService = {
  log: () => undefined,
  warn: (message: unknown) => warnings.push(String(message)),
  error: (message: unknown) => warnings.push(String(message)),
};

const granted = (answers: GateAnswer[]): number =>
  answers.filter((answer) => answer.kind === 'granted').length;

describe('createLimitStores without REDIS_URL (the embedded default)', () => {
  it('uses this process’s stores and a per-process key secret', async () => {
    const stores = createLimitStores(testRelayConfig());
    const other = createLimitStores(testRelayConfig());
    expect(stores.redisState()).toBe('off');
    expect(stores.keys.subscriptionId(API, USER)).not.toBe(other.keys.subscriptionId(API, USER));

    const sub = stores.keys.subscriptionId(API, USER);
    const answers = await Promise.all([1, 2, 3].map(() => stores.gate.enter(sub, 2, LEASE_MS)));
    expect(granted(answers)).toBe(2);
    await stores.results.set('cred', 'search', ANSWER, 10_000);
    expect(await stores.results.get('cred', 'search')).toEqual(ANSWER);
    expect([
      await stores.inflight.claim('cred', 'k', 1000),
      await stores.inflight.claim('cred', 'k', 1000),
    ]).toEqual([true, true]);
    await expect(stores.close()).resolves.toBeUndefined();
    await other.close();
  });
});

describe('createLimitStores with REDIS_URL: two replicas, Redis taken away and brought back', () => {
  let server: RedisServerHandle;
  let config: RelayConfig;
  let a: LimitStores;
  let b: LimitStores;
  const changes: string[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(capture);
    server = await startRedisServer();
    config = {
      ...testRelayConfig(),
      redis: {
        topology: { kind: 'server', url: server.url },
        keyPrefix: 'relay-test:',
        encryptionKey: SECRET,
      },
    };
  });

  beforeEach(async () => {
    a = createLimitStores(config);
    b = createLimitStores(config);
    a.onRedisStateChange((state) => changes.push(state));
    expect(await eventually(() => a.redisState() === 'up' && b.redisState() === 'up')).toBe(true);
    changes.length = 0;
    warnings.length = 0;
  });

  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  afterAll(async () => {
    await server.close();
  });

  /** Proves both replicas share slots, cache and coalescing (on fresh ids). */
  async function expectSharing(tag: string): Promise<void> {
    const sub = a.keys.subscriptionId(API, `${USER}-${tag}`);
    const cred = a.keys.credentialsId(API, `${USER}-${tag}`, 'pw');
    const answers = await Promise.all(
      [a, b, a, b, a, b].map((stores) => stores.gate.enter(sub, 2, LEASE_MS)),
    );
    expect(granted(answers)).toBe(2);
    await a.results.set(cred, 'search', ANSWER, 10_000);
    expect(await b.results.get(cred, 'search')).toEqual(ANSWER);
    expect([
      await a.inflight.claim(cred, 'call', 10_000),
      await b.inflight.claim(cred, 'call', 10_000),
    ]).toEqual([true, false]);
  }

  it('shares slots, cache and coalescing between replicas while Redis is up', async () => {
    expect(a.keys.subscriptionId(API, USER)).toBe(b.keys.subscriptionId(API, USER)); // one secret, one name
    await expectSharing('up');
  });

  it('answers every call from this process while Redis is down, warns once, and shares again when it is back', async () => {
    const sub = a.keys.subscriptionId(API, USER);
    const cred = a.keys.credentialsId(API, USER, 'pw');
    const redisLease = await a.gate.enter(sub, 5, LEASE_MS);
    expect(redisLease.kind).toBe('granted');
    const waitingInRedis = a.gate.released(sub, 10_000);

    await server.stop();
    // The wait on Redis ends when Redis goes, so the caller tries again in this process.
    expect(await settlesWithin(waitingInRedis, 3000)).toBe(true);
    expect(await eventually(() => a.redisState() === 'down')).toBe(true);

    // Each call resolves (from memory), none rejects.
    const outage = Date.now();
    const answers = await Promise.all([1, 2, 3].map(() => a.gate.enter(sub, 2, LEASE_MS)));
    expect(granted(answers)).toBe(2); // per-process limits
    expect(answers[2]).toEqual({ kind: 'full' });
    if (redisLease.kind === 'granted')
      await expect(redisLease.lease.release()).resolves.toBeUndefined();
    await expect(a.gate.released(sub, 50)).resolves.toBeUndefined();
    await a.gate.block(sub, 60_000, false, 1000);
    expect((await a.gate.enter(sub, 2, LEASE_MS)).kind).toBe('blocked');
    await a.gate.clear(sub);
    await a.results.set(cred, 'search', ANSWER, 10_000);
    expect(await a.results.get(cred, 'search')).toEqual(ANSWER);
    expect(await b.results.get(cred, 'search')).toBeUndefined(); // nothing is shared meanwhile
    expect(await a.inflight.claim(cred, 'call', 10_000)).toBe(true);
    expect(await b.inflight.claim(cred, 'call', 10_000)).toBe(true);
    await a.inflight.finish(cred, 'call');
    await expect(b.inflight.finished(cred, 'call', 10_000)).resolves.toBeUndefined();
    expect(Date.now() - outage).toBeLessThan(2000); // nothing waited for a dead Redis

    expect(warnings.filter((message) => message.startsWith('Redis unreachable'))).toEqual([
      `Redis unreachable; falling back to per-process limits and cache (Redis at 127.0.0.1:${server.port})`,
      `Redis unreachable; falling back to per-process limits and cache (Redis at 127.0.0.1:${server.port})`,
    ]); // one per replica, however many calls
    expect(warnings.length).toBe(2);

    await server.start();
    expect(await eventually(() => a.redisState() === 'up' && b.redisState() === 'up')).toBe(true);
    expect(changes).toEqual(['down', 'up']);
    await expectSharing('back');
  });

  it('answers from this process within the command timeout when Redis freezes, and comes back after', async () => {
    const cred = a.keys.credentialsId(API, USER, 'pw');
    await a.results.set(cred, 'search', ANSWER, 10_000);
    server.pause();
    try {
      const start = Date.now();
      expect(await a.results.get(cred, 'search')).toBeUndefined(); // timed out: a miss from memory
      expect(Date.now() - start).toBeLessThan(1500);
      expect(a.redisState()).toBe('down');
      expect(await a.inflight.claim(cred, 'call', 10_000)).toBe(true); // straight to memory now
    } finally {
      server.resume();
    }
    expect(await eventually(() => a.redisState() === 'up')).toBe(true);
    expect(await a.results.get(cred, 'search')).toEqual(ANSWER);
  });
});
