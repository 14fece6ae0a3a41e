import { afterEach, describe, expect, it } from '@jest/globals';
import type { GateAnswer, SubscriptionGate } from './limit-stores.js';
import { MemoryGate } from './memory-gate.js';
import {
  BudgetSpentError,
  SlotWaitAbortedError,
  SubscriptionScheduler,
  type SlotGrant,
} from './subscription-scheduler.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Records the order in which calls got their slot. */
function recorder(scheduler: SubscriptionScheduler) {
  const order: string[] = [];
  const grants = new Map<string, SlotGrant>();
  const take = (subscription: string, request: object, name: string, signal?: AbortSignal) => {
    const granted = scheduler.acquire(subscription, request, signal).then((grant) => {
      order.push(name);
      grants.set(name, grant);
      return grant;
    });
    // Calls still queued when a test ends are rejected by close(): not a failure.
    granted.catch(() => undefined);
    return granted;
  };
  const release = async (name: string) => {
    grants.get(name)?.release();
    await tick();
  };
  return { order, take, release };
}

describe('SubscriptionScheduler (spec §9)', () => {
  let scheduler: SubscriptionScheduler;
  afterEach(() => scheduler.close());

  const create = (
    options: Partial<{ globalCap: number; defaultLimit: number }> = {},
    gate: SubscriptionGate = new MemoryGate(),
  ) => {
    scheduler = new SubscriptionScheduler(gate, {
      globalCap: options.globalCap ?? 64,
      defaultLimit: options.defaultLimit ?? 2,
      leaseMs: 10_000,
    });
    return scheduler;
  };

  it('holds at most the subscription limit in flight and starts the next call on release', async () => {
    const { order, take, release } = recorder(create({ defaultLimit: 2 }));
    const request = {};
    for (const name of ['a', 'b', 'c', 'd']) void take('sub', request, name);
    await tick();
    expect(order).toEqual(['a', 'b']);
    await release('a');
    expect(order).toEqual(['a', 'b', 'c']);
    await release('b');
    await release('c');
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('lets requests of one subscription take turns', async () => {
    const { order, take, release } = recorder(create({ defaultLimit: 1 }));
    const big = {};
    const small = {};
    for (const name of ['big1', 'big2', 'big3']) void take('sub', big, name);
    void take('sub', small, 'small1');
    await tick();
    await release('big1');
    await release('small1');
    await release('big2');
    expect(order).toEqual(['big1', 'small1', 'big2', 'big3']);
  });

  it('never makes subscriptions wait for each other', async () => {
    const { order, take } = recorder(create({ defaultLimit: 1 }));
    void take('busy', {}, 'busy1');
    void take('busy', {}, 'busy2');
    void take('idle', {}, 'idle1');
    await tick();
    expect(order).toEqual(['busy1', 'idle1']);
  });

  it('keeps the process-wide cap across subscriptions', async () => {
    const { order, take, release } = recorder(create({ globalCap: 2, defaultLimit: 2 }));
    for (const name of ['a1', 'a2']) void take('a', {}, name);
    void take('b', {}, 'b1');
    await tick();
    expect(order).toEqual(['a1', 'a2']);
    await release('a1');
    expect(order).toEqual(['a1', 'a2', 'b1']);
  });

  it('gives the process-wide slots to waiting subscriptions in turn (spec §15)', async () => {
    const { order, take, release } = recorder(create({ globalCap: 2, defaultLimit: 16 }));
    for (let i = 1; i <= 6; i++) void take('loaded', {}, `a${i}`);
    for (let i = 1; i <= 3; i++) void take('b', {}, `b${i}`);
    for (let i = 1; i <= 2; i++) void take('c', {}, `c${i}`);
    await tick();
    expect(order).toEqual(['a1', 'a2']);
    for (const name of ['a1', 'a2', 'a3', 'b1', 'c1', 'a4', 'b2', 'c2', 'a5']) await release(name);
    expect(order).toEqual(['a1', 'a2', 'a3', 'b1', 'c1', 'a4', 'b2', 'c2', 'a5', 'b3', 'a6']);
  });

  it('follows the limit Qualys announces, up and down', async () => {
    const { order, take, release } = recorder(create({ defaultLimit: 2 }));
    const request = {};
    for (const name of ['1', '2', '3', '4', '5', '6']) void take('sub', request, name);
    await tick();
    expect(order).toEqual(['1', '2']);
    scheduler.learnLimit('sub', 4);
    await tick();
    expect(order).toEqual(['1', '2', '3', '4']);
    await tick();
    expect(order).toEqual(['1', '2', '3', '4']); // 5 and 6 wait: the limit is 4 now
    scheduler.learnLimit('sub', 1);
    await release('1');
    await release('2');
    await release('3');
    expect(order).toEqual(['1', '2', '3', '4']); // 4 still runs: no new call while one is in flight
    await release('4');
    expect(order).toEqual(['1', '2', '3', '4', '5']);
  });

  it('puts a refused call back at the head of its request', async () => {
    const { order, take, release } = recorder(create({ defaultLimit: 1 }));
    const request = {};
    void take('sub', request, 'first');
    void take('sub', request, 'second');
    await tick();
    await release('first');
    expect(order).toEqual(['first', 'second']);
    // 'first' was refused by Qualys: it goes back in front of anything queued after it.
    const again = scheduler.acquire('sub', request, undefined, true).then((grant) => {
      order.push('first-again');
      return grant;
    });
    void take('sub', request, 'third');
    await release('second');
    await again;
    expect(order).toEqual(['first', 'second', 'first-again']);
  });

  it('rejects at once, with the wait, while the budget is spent', async () => {
    const gate = new MemoryGate();
    create({ defaultLimit: 1 }, gate);
    const holding = await scheduler.acquire('sub', {});
    const queued = scheduler.acquire('sub', {});
    await gate.block('sub', 30_000, false, 1000);
    holding.release();
    await expect(queued).rejects.toBeInstanceOf(BudgetSpentError);
    const error = await scheduler.acquire('sub', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BudgetSpentError);
    expect((error as BudgetSpentError).retryInMs).toBeGreaterThan(29_000);
    expect((error as BudgetSpentError).retryInMs).toBeLessThanOrEqual(30_000);
  });

  it('stops waiting when the caller gives up, and frees nothing it never held', async () => {
    const { order, take, release } = recorder(create({ defaultLimit: 1 }));
    void take('sub', {}, 'holder');
    const controller = new AbortController();
    const waiting = take('sub', {}, 'gave-up', controller.signal);
    void take('sub', {}, 'next');
    await tick();
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(SlotWaitAbortedError);
    await release('holder');
    expect(order).toEqual(['holder', 'next']);
  });

  it('waits for a slot another replica frees, without a busy loop', async () => {
    let held = 1; // held by "another replica"
    let asked = 0;
    const memory = new MemoryGate();
    const gate: SubscriptionGate = {
      enter: (id, limit, leaseMs): Promise<GateAnswer> => {
        asked++;
        return held > 0 ? Promise.resolve({ kind: 'full' }) : memory.enter(id, limit, leaseMs);
      },
      released: (id, maxWaitMs, signal) => memory.released(id, maxWaitMs, signal),
      block: (...args) => memory.block(...args),
      clear: (id) => memory.clear(id),
    };
    const { order, take } = recorder(create({ defaultLimit: 1 }, gate));
    void take('sub', {}, 'mine');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(order).toEqual([]);
    expect(asked).toBeLessThanOrEqual(4); // woken by the 250 ms poll, not spinning
    held = 0;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(order).toEqual(['mine']);
  });

  it('keeps the queue-depth metric right through abandonment, a spent budget and close', async () => {
    let depth = 0;
    const gate = new MemoryGate();
    scheduler = new SubscriptionScheduler(gate, {
      globalCap: 64,
      defaultLimit: 1,
      leaseMs: 10_000,
      observer: { queueDepth: (delta) => (depth += delta) },
    });
    const holding = await scheduler.acquire('spent', {});
    const controller = new AbortController();
    const queued = [
      scheduler.acquire('spent', {}, controller.signal),
      scheduler.acquire('spent', {}),
      scheduler.acquire('spent', {}),
    ];
    for (const waiting of queued) waiting.catch(() => undefined);
    expect(depth).toBe(3);
    controller.abort();
    expect(depth).toBe(2);
    await gate.block('spent', 30_000, false, 1000);
    holding.release();
    await Promise.allSettled(queued);
    expect(depth).toBe(0);

    await scheduler.acquire('open', {});
    const left = [scheduler.acquire('open', {}), scheduler.acquire('open', {})];
    expect(depth).toBe(2);
    scheduler.close();
    expect(await Promise.allSettled(left)).toEqual([
      { status: 'rejected', reason: new SlotWaitAbortedError() },
      { status: 'rejected', reason: new SlotWaitAbortedError() },
    ]);
    expect(depth).toBe(0);
  });

  it('refuses to queue once closed, so nothing waits forever', async () => {
    create();
    scheduler.close();
    await expect(scheduler.acquire('sub', {})).rejects.toBeInstanceOf(SlotWaitAbortedError);
  });
});
