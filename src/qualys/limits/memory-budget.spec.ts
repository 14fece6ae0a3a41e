import { describe, expect, it } from '@jest/globals';
import { MemoryBudget, MemoryWaitAbortedError } from './memory-budget.js';

/** Which of `claims` have been granted so far (after the microtasks ran). */
async function granted(claims: Promise<void>[]): Promise<boolean[]> {
  const state = claims.map(() => false);
  claims.forEach((claim, i) => void claim.then(() => (state[i] = true)).catch(() => undefined));
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

describe('MemoryBudget (spec §15 memory in flight)', () => {
  it('grants claims while they fit, then in arrival order as bytes come back', async () => {
    const budget = new MemoryBudget(100);
    const claims = [budget.take(60), budget.take(40), budget.take(30), budget.take(10)];
    // The 10 fits too, but waits behind the 30: first come, first served.
    expect(await granted(claims)).toEqual([true, true, false, false]);
    budget.give(20);
    expect(budget.used).toBe(80);
    expect(await granted(claims)).toEqual([true, true, false, false]);
    budget.give(40);
    expect(await granted(claims)).toEqual([true, true, true, true]);
    expect(budget.used).toBe(80);
  });

  it('charges bytes that exist at once, past the limit, and new claims wait meanwhile', async () => {
    const budget = new MemoryBudget(100);
    budget.force(150);
    const claim = budget.take(1);
    expect(await granted([claim])).toEqual([false]);
    budget.give(50);
    expect(await granted([claim])).toEqual([false]); // 100 held: the limit, not below it
    budget.give(1);
    expect(await granted([claim])).toEqual([true]);
    expect(budget.used).toBe(100);
  });

  it('lets a claim larger than the whole budget go once nothing else is held', async () => {
    const budget = new MemoryBudget(100);
    await budget.take(30);
    const big = budget.take(500);
    expect(await granted([big])).toEqual([false]);
    budget.give(30);
    expect(await granted([big])).toEqual([true]);
    expect(budget.used).toBe(500);
  });

  it('rejects a waiter whose signal aborts, and the next in line may go', async () => {
    const budget = new MemoryBudget(100);
    await budget.take(50);
    const controller = new AbortController();
    const blocked = budget.take(80, controller.signal);
    const small = budget.take(40);
    expect(await granted([small])).toEqual([false]);
    controller.abort();
    await expect(blocked).rejects.toBeInstanceOf(MemoryWaitAbortedError);
    expect(await granted([small])).toEqual([true]);
    expect(budget.used).toBe(90);
    await expect(budget.take(1, controller.signal)).rejects.toBeInstanceOf(MemoryWaitAbortedError);
  });

  it('never goes below zero', () => {
    const budget = new MemoryBudget(100);
    budget.force(10);
    budget.give(25);
    expect(budget.used).toBe(0);
  });
});
