import { beforeAll, describe, expect, it } from '@jest/globals';
import { leaseOf, shapeOf } from './support/gate-answers.js';
import { pollUntil, subscribers, twoReplicas } from './support/redis-replicas.js';
import { abortListeners, settlesWithin, sleep } from './support/timing.js';
import type { GateAnswer } from '../src/qualys/limits/limit-stores.js';
import { RedisGate } from '../src/qualys/limits/redis-gate.js';
import { StateKeys } from '../src/qualys/limits/state-keys.js';

const SECRET = 'a-cache-encryption-key-of-32-chars!!';
const USER = 'acme_ab12';
const LEASE_MS = 10_000;

function retryOf(answer: GateAnswer): number {
  return answer.kind === 'blocked' ? answer.retryInMs : -1;
}

describe('RedisGate: two replicas against a real redis-server', () => {
  const redis = twoReplicas();
  let a: RedisGate;
  let b: RedisGate;
  const keys = new StateKeys(SECRET, 'relay-test:');
  const SUB = keys.subscriptionId('https://gateway.qg2.apps.qualys.eu', USER);

  /** Subscribers of the subscription's released channel, as Redis counts them. */
  const listeners = (): Promise<number> => subscribers(redis, keys.releasedChannel(SUB));

  beforeAll(() => {
    a = new RedisGate(redis.connA, keys);
    b = new RedisGate(redis.connB, keys);
  });

  it('never grants more than `limit` leases across both replicas, however many ask at once', async () => {
    const storm = (): Promise<GateAnswer[]> =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).enter(SUB, 3, LEASE_MS)),
      );
    const first = await storm();
    const granted = first.filter((answer) => answer.kind === 'granted');
    expect(granted.length).toBe(3);
    expect(first.filter((answer) => answer.kind === 'full').length).toBe(17);

    await leaseOf(granted[0]).release();
    await leaseOf(granted[0]).release(); // idempotent
    const second = await storm();
    expect(second.filter((answer) => answer.kind === 'granted').length).toBe(1);
    expect(await redis.connA.client.zcard(keys.slotsKey(SUB))).toBe(3);
  });

  it('applies the limit passed on each call', async () => {
    leaseOf(await a.enter(SUB, 2, LEASE_MS));
    leaseOf(await b.enter(SUB, 2, LEASE_MS));
    expect(shapeOf(await a.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'full' });
    expect(shapeOf(await b.enter(SUB, 3, LEASE_MS))).toEqual({ kind: 'granted', probe: false });
  });

  it('frees the slot of an expired lease (a crashed replica holds nothing for long)', async () => {
    leaseOf(await a.enter(SUB, 1, 400));
    expect(shapeOf(await b.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'full' });
    expect(await redis.connA.client.pttl(keys.slotsKey(SUB))).toBeGreaterThan(0); // the set itself expires too
    await sleep(450);
    expect(shapeOf(await b.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'granted', probe: false });
  });

  describe('released()', () => {
    it("wakes on another replica's release, and unsubscribes when nobody waits", async () => {
      const lease = leaseOf(await b.enter(SUB, 1, LEASE_MS));
      const waiting = a.released(SUB, 10_000);
      await expect(pollUntil(listeners, 1)).resolves.toBe(1);
      const start = Date.now();
      await lease.release();
      expect(await settlesWithin(waiting, 1000)).toBe(true);
      expect(Date.now() - start).toBeLessThan(1000);
      await expect(pollUntil(listeners, 0)).resolves.toBe(0);
    });

    it('wakes a waiter whose slot was released after `full` but before it subscribed', async () => {
      const lease = leaseOf(await b.enter(SUB, 1, LEASE_MS));
      expect(shapeOf(await a.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'full' });
      await lease.release(); // published while nobody on replica A listens
      expect(await settlesWithin(a.released(SUB, 10_000), 1000)).toBe(true);
      // Without a release since the last `full`, the waiter really waits.
      leaseOf(await b.enter(SUB, 1, LEASE_MS));
      expect(shapeOf(await a.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'full' });
      expect(await settlesWithin(a.released(SUB, 300), 150)).toBe(false);
    });

    it('wakes waiters of the releasing replica itself', async () => {
      const lease = leaseOf(await a.enter(SUB, 1, LEASE_MS));
      const waiting = a.released(SUB, 10_000);
      await lease.release();
      expect(await settlesWithin(waiting, 100)).toBe(true);
    });

    it('is not woken by another subscription', async () => {
      const other = keys.subscriptionId('https://gateway.qg2.apps.qualys.eu', 'someone_else');
      const lease = leaseOf(await b.enter(other, 1, LEASE_MS));
      const holder = leaseOf(await b.enter(SUB, 1, LEASE_MS));
      expect(shapeOf(await a.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'full' });
      const waiting = a.released(SUB, 10_000);
      await pollUntil(listeners, 1);
      await lease.release();
      expect(await settlesWithin(waiting, 200)).toBe(false);
      const controller = new AbortController();
      controller.abort();
      await a.released(SUB, 10_000, controller.signal); // a second waiter, gone at once
      expect(await settlesWithin(waiting, 1)).toBe(false);
      await holder.release();
      expect(await settlesWithin(waiting, 1000)).toBe(true);
    });

    // (The timers themselves are `Waiters`' and proven cleared in memory-gate.spec: ioredis's own
    // command timers make a process-wide count here meaningless.)
    it('resolves at maxWaitMs and on abort, and leaves no listener or subscription', async () => {
      expect(await settlesWithin(a.released(SUB, 100), 2000)).toBe(true);
      const controller = new AbortController();
      const aborted = a.released(SUB, 10_000, controller.signal);
      controller.abort();
      expect(await settlesWithin(aborted, 100)).toBe(true);
      expect(abortListeners(controller.signal)).toBe(0);
      await expect(pollUntil(listeners, 0)).resolves.toBe(0);
    });
  });

  describe('budget block (one replica learns it, every replica obeys)', () => {
    it('blocks for the given time by Redis’s clock, then lets calls flow', async () => {
      await a.block(SUB, 500, false, 1000);
      const blocked = await b.enter(SUB, 2, LEASE_MS);
      expect(blocked.kind).toBe('blocked');
      expect(retryOf(blocked)).toBeGreaterThan(300);
      expect(retryOf(blocked)).toBeLessThanOrEqual(500);
      await sleep(550);
      expect(shapeOf(await b.enter(SUB, 2, LEASE_MS))).toEqual({ kind: 'granted', probe: false });
      expect(await redis.connA.client.exists(keys.budgetKey(SUB))).toBe(0); // the block expired with its time
    });

    it('after a guessed block grants exactly one probe across replicas, the rest wait for its slot', async () => {
      await a.block(SUB, 100, true, 5000);
      await sleep(150); // the guessed end passes
      const answers = await Promise.all([
        a.enter(SUB, 5, LEASE_MS),
        b.enter(SUB, 5, LEASE_MS),
        b.enter(SUB, 5, LEASE_MS),
      ]);
      const probes = answers.filter((answer) => answer.kind === 'granted' && answer.probe);
      const waiting = answers.filter((answer) => answer.kind === 'full');
      expect([probes.length, waiting.length]).toEqual([1, 2]);
      await b.clear(SUB); // the probe's answer said calls remain
      expect(shapeOf(await a.enter(SUB, 5, LEASE_MS))).toEqual({ kind: 'granted', probe: false });
      expect(await redis.connA.client.exists(keys.budgetKey(SUB), keys.probeKey(SUB))).toBe(0);
    });

    it('lets another call probe when the probe does not report back within probeLeaseMs', async () => {
      await a.block(SUB, 0, true, 400);
      expect(shapeOf(await a.enter(SUB, 5, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
      expect(await b.enter(SUB, 5, LEASE_MS)).toEqual({ kind: 'full' });
      await sleep(450);
      expect(shapeOf(await b.enter(SUB, 5, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
    });

    it('starts over after a new block (the probe found the budget spent again)', async () => {
      await a.block(SUB, 0, true, 5000);
      expect(shapeOf(await a.enter(SUB, 5, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
      await a.block(SUB, 300, true, 5000);
      expect((await b.enter(SUB, 5, LEASE_MS)).kind).toBe('blocked');
      await sleep(350);
      expect(shapeOf(await b.enter(SUB, 5, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
    });

    it('undoes the probe claim of a call that found the slots full', async () => {
      const holder = leaseOf(await a.enter(SUB, 1, LEASE_MS));
      await a.block(SUB, 0, true, 5000);
      expect(shapeOf(await b.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'full' });
      expect(await redis.connA.client.exists(keys.probeKey(SUB))).toBe(0);
      await holder.release();
      expect(shapeOf(await b.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
    });

    it('forgets a probe-mode block after an idle hour at most, a plain block with its time', async () => {
      await a.block(SUB, 1000, true, 5000);
      const probeTtl = await redis.connA.client.pttl(keys.budgetKey(SUB));
      expect(probeTtl).toBeGreaterThan(3_600_000);
      expect(probeTtl).toBeLessThanOrEqual(3_601_000);
      await a.block(SUB, 1000, false, 5000);
      const plainTtl = await redis.connA.client.pttl(keys.budgetKey(SUB));
      expect(plainTtl).toBeGreaterThan(0);
      expect(plainTtl).toBeLessThanOrEqual(1000);
    });
  });

  it('writes only hashed names under the prefix, one hash tag per subscription', async () => {
    const lease = leaseOf(await a.enter(SUB, 2, LEASE_MS));
    await a.block(SUB, 0, true, 5000);
    leaseOf(await b.enter(SUB, 2, LEASE_MS));
    await lease.release();
    expect(await redis.server.keys()).toEqual([
      `relay-test:{s:${SUB}}:budget`,
      `relay-test:{s:${SUB}}:probe`,
      `relay-test:{s:${SUB}}:releases`,
      `relay-test:{s:${SUB}}:slots`,
    ]);
    const dump = JSON.stringify(await redis.server.dumpValues());
    expect(dump).not.toContain(USER);
    expect(dump).not.toContain('qualys.eu');
  });
});
