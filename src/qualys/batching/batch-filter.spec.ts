import { describe, expect, it } from '@jest/globals';
import type { SupportedObservable } from '../../common/observable.js';
import { buildSearchFilter } from '../search-filter.js';
import {
  batchFilter,
  batchPageSize,
  encodedFilterLength,
  halves,
  MAX_ENCODED_FILTER_LENGTH,
  packBatches,
} from './batch-filter.js';

const sha = (n: number): SupportedObservable => ({
  type: 'sha256',
  value: n.toString(16).padStart(64, '0'),
});

describe('batch filters (spec §12)', () => {
  it("joins each observable's own filter in parentheses with ` or `, in order", () => {
    expect(
      batchFilter([
        { type: 'sha256', value: 'ab' },
        { type: 'ip', value: '10.0.0.1' },
        { type: 'file_name', value: 'a "b" \\ c' },
      ]),
    ).toBe(
      '(file.hash.sha256: "ab") or ' +
        '(network.local.address.ip: "10.0.0.1" or network.remote.address.ip: "10.0.0.1") or ' +
        '(file.name: "a \\"b\\" \\\\ c")',
    );
  });

  it("is an observable's own filter for a batch of one", () => {
    const ip: SupportedObservable = { type: 'ip', value: '10.0.0.1' };
    expect(batchFilter([ip])).toBe(buildSearchFilter(ip));
  });

  it('counts the filter as every byte but the unreserved ones percent-encoded', () => {
    expect(encodedFilterLength('(a: "b") or')).toBe('%28a%3A%20%22b%22%29%20or'.length);
    expect(encodedFilterLength('é')).toBe(6);
    // Never shorter than form encoding, whatever the HTTP layer uses.
    const filter = batchFilter([sha(1), { type: 'file_path', value: 'C:\\x y+z&=' }]);
    const form = new URLSearchParams({ filter }).toString().length - 'filter='.length;
    expect(encodedFilterLength(filter)).toBeGreaterThanOrEqual(form);
  });

  it('asks an exact batch for min(n × L, 1000) events, a probe for 1, one observable for L', () => {
    expect(batchPageSize('exact', 3, 100)).toBe(300);
    expect(batchPageSize('exact', 20, 100)).toBe(1000);
    expect(batchPageSize('contains', 20, 100)).toBe(1);
    expect(batchPageSize('exact', 1, 7)).toBe(7);
    expect(batchPageSize('contains', 1, 7)).toBe(7);
  });

  it('packs at most the batch size, in order', () => {
    const items = Array.from({ length: 7 }, (_, n) => sha(n));
    expect(packBatches(items, (item) => item, 3)).toEqual([
      items.slice(0, 3),
      items.slice(3, 6),
      items.slice(6),
    ]);
    expect(packBatches(items, (item) => item, 1)).toEqual(items.map((item) => [item]));
    expect(packBatches([], (item: SupportedObservable) => item, 3)).toEqual([]);
  });

  it('packs at most 2,000 URL-encoded filter characters, and the most that fit', () => {
    const items = Array.from({ length: 50 }, (_, n) => sha(n));
    const batches = packBatches(items, (item) => item, 50);
    expect(batches.flat()).toEqual(items);
    for (const [i, batch] of batches.entries()) {
      expect(encodedFilterLength(batchFilter(batch))).toBeLessThanOrEqual(
        MAX_ENCODED_FILTER_LENGTH,
      );
      const next = batches[i + 1];
      if (next !== undefined) {
        const grown = encodedFilterLength(batchFilter([...batch, next[0]]));
        expect(grown).toBeGreaterThan(MAX_ENCODED_FILTER_LENGTH);
      }
    }
    expect(batches.map((batch) => batch.length)).toEqual([18, 18, 14]);
  });

  it('gives a value longer than the bound a batch of its own', () => {
    const long: SupportedObservable = { type: 'file_path', value: 'x'.repeat(2500) };
    const items = [sha(1), long, sha(2)];
    expect(packBatches(items, (item) => item, 20)).toEqual([[sha(1)], [long], [sha(2)]]);
  });

  it('splits in halves, the first the larger', () => {
    expect(halves([1, 2, 3, 4, 5])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(halves([1, 2])).toEqual([[1], [2]]);
  });
});
