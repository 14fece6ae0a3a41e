import { describe, expect, it } from '@jest/globals';
import { LEARNED_BATCH_SIZE_TTL_MS, LearnedBatchSizes } from './learned-batch-sizes.js';

describe('learned batch sizes (spec §12)', () => {
  it('uses the configured size until a smaller one is learned, for an hour', () => {
    let now = 1000;
    const sizes = new LearnedBatchSizes(() => now);
    expect(sizes.sizeFor('sub', 20)).toBe(20);
    sizes.lower('sub', 10);
    expect([sizes.sizeFor('sub', 20), sizes.sizeFor('other', 20)]).toEqual([10, 20]);
    expect(sizes.sizeFor('sub', 5)).toBe(5);
    now += LEARNED_BATCH_SIZE_TTL_MS - 1;
    expect(sizes.sizeFor('sub', 20)).toBe(10);
    now += 1;
    expect(sizes.sizeFor('sub', 20)).toBe(20);
  });

  it('only lowers while a learned size holds, and restarts the hour', () => {
    let now = 0;
    const sizes = new LearnedBatchSizes(() => now);
    sizes.lower('sub', 5);
    now += 1000;
    sizes.lower('sub', 10);
    expect(sizes.sizeFor('sub', 20)).toBe(5);
    now += LEARNED_BATCH_SIZE_TTL_MS - 1;
    expect(sizes.sizeFor('sub', 20)).toBe(5);
    now += LEARNED_BATCH_SIZE_TTL_MS;
    sizes.lower('sub', 10);
    expect(sizes.sizeFor('sub', 20)).toBe(10);
  });

  it('keeps at most maxEntries subscriptions, dropping the oldest', () => {
    const sizes = new LearnedBatchSizes(() => 0, 2);
    sizes.lower('a', 2);
    sizes.lower('b', 3);
    sizes.lower('c', 4);
    expect(['a', 'b', 'c'].map((id) => sizes.sizeFor(id, 20))).toEqual([20, 3, 4]);
  });
});
