import { beforeAll, describe, expect, it } from '@jest/globals';
import { pollUntil, subscribers, twoReplicas } from './support/redis-replicas.js';
import { abortListeners, settlesWithin, sleep } from './support/timing.js';
import { RedisInflight } from '../src/qualys/limits/redis-inflight.js';
import { StateKeys } from '../src/qualys/limits/state-keys.js';

const SECRET = 'a-cache-encryption-key-of-32-chars!!';
const API = 'https://gateway.qg2.apps.qualys.eu';
const USER = 'acme_ab12';

describe('RedisInflight: coalescing across replicas against a real redis-server', () => {
  const redis = twoReplicas();
  let a: RedisInflight;
  let b: RedisInflight;
  const keys = new StateKeys(SECRET, 'relay-test:');
  const CRED = keys.credentialsId(API, USER, 'hunter2');
  const SEARCH = keys.coalesceKey('ip:"10.1.2.3"', true, 100, 1);

  /** Subscribers of the search's finished channel, as Redis counts them, once it is `expected`. */
  const untilListeners = (expected: number): Promise<number> =>
    pollUntil(() => subscribers(redis, keys.finishedChannel(CRED, SEARCH)), expected);

  beforeAll(() => {
    a = new RedisInflight(redis.connA, keys);
    b = new RedisInflight(redis.connB, keys);
  });

  it('gives a search to exactly one of many claimants across replicas', async () => {
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).claim(CRED, SEARCH, 10_000)),
    );
    expect(claims.filter(Boolean).length).toBe(1);
    expect(await b.claim(CRED, keys.coalesceKey('ip:"10.1.2.3"', true, 200, 1), 10_000)).toBe(true); // another page size
    expect(await redis.server.keys()).toEqual(
      [
        keys.inflightKey(CRED, SEARCH),
        keys.inflightKey(CRED, keys.coalesceKey('ip:"10.1.2.3"', true, 200, 1)),
      ].sort(),
    );
  });

  it("wakes another replica's waiter when the owner finishes, and frees the search", async () => {
    expect(await a.claim(CRED, SEARCH, 10_000)).toBe(true);
    expect(await b.claim(CRED, SEARCH, 10_000)).toBe(false);
    const waiting = b.finished(CRED, SEARCH, 10_000);
    expect(await untilListeners(1)).toBe(1);
    expect(await settlesWithin(waiting, 100)).toBe(false);
    await a.finish(CRED, SEARCH);
    expect(await settlesWithin(waiting, 1000)).toBe(true);
    expect(await redis.server.keys()).toEqual([]);
    expect(await untilListeners(0)).toBe(0);
    expect(await b.claim(CRED, SEARCH, 10_000)).toBe(true);
  });

  it('wakes a waiter at once when the owner finished before it subscribed', async () => {
    expect(await a.claim(CRED, SEARCH, 10_000)).toBe(true);
    expect(await b.claim(CRED, SEARCH, 10_000)).toBe(false);
    await a.finish(CRED, SEARCH); // published while nobody listens
    expect(await settlesWithin(b.finished(CRED, SEARCH, 10_000), 1000)).toBe(true);
  });

  it('lets a claim lapse after its TTL, and a late finish of the old owner leaves the new claim alone', async () => {
    expect(await a.claim(CRED, SEARCH, 200)).toBe(true);
    await sleep(250);
    expect(await b.claim(CRED, SEARCH, 10_000)).toBe(true);
    await a.finish(CRED, SEARCH);
    expect(await a.claim(CRED, SEARCH, 10_000)).toBe(false);
    await b.finish(CRED, SEARCH);
    expect(await redis.server.keys()).toEqual([]);
  });

  it('resolves at maxWaitMs and on abort, never rejects, and leaves no listener or subscription', async () => {
    expect(await a.claim(CRED, SEARCH, 10_000)).toBe(true);
    expect(await settlesWithin(b.finished(CRED, SEARCH, 150), 2000)).toBe(true);
    const controller = new AbortController();
    const waiting = b.finished(CRED, SEARCH, 10_000, controller.signal);
    expect(await untilListeners(1)).toBe(1);
    controller.abort();
    expect(await settlesWithin(waiting, 100)).toBe(true);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(await untilListeners(0)).toBe(0);
  });
});
