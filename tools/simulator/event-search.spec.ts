import { describe, expect, it } from '@jest/globals';
import type { SimulatorEvent } from './dataset.js';
import { encodedLength, EventIndex, parseSearchQuery, SearchQueryError } from './event-search.js';

const sha = (n: number): string => String(n).repeat(64);
const own = (n: number): string => `file.hash.sha256: "${sha(n)}"`;
const batch = (...ns: number[]): string => ns.map((n) => `(${own(n)})`).join(' or ');

function query(params: Record<string, string>, maxFilterLength?: number) {
  return parseSearchQuery(
    new URLSearchParams(params),
    maxFilterLength === undefined ? {} : { maxFilterLength },
  );
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SearchQueryError) return error.message;
    throw error;
  }
  throw new Error('expected a refusal');
}

const events: SimulatorEvent[] = [1, 2, 1, 3, 2, 1].map((n, i) => ({
  active: i !== 5,
  event: { id: `e${i}`, file: { sha256: sha(n) } },
}));

describe('searches (simulator)', () => {
  it('counts a filter as the relay does: every byte but letters, digits and -._~ encoded', () => {
    expect(encodedLength('(a: "b") or c')).toBe('%28a%3A%20%22b%22%29%20or%20c'.length);
    expect(encodedLength("!'*~-._")).toBe(3 * 3 + 4);
  });

  it('refuses a filter longer than the bound, and takes one exactly as long', () => {
    const filter = batch(1, 2);
    const length = encodedLength(filter);
    expect(refusal(() => query({ filter }, length - 1))).toBe(
      `Invalid filter: longer than ${length - 1} characters`,
    );
    expect(query({ filter }, length).observables).toBe(2);
    expect(query({ filter }).observables).toBe(2);
    expect(query({ filter: own(1) }, 10_000).observables).toBe(1);
  });

  it("answers a batch's union, in data-set order, up to the page size asked for", () => {
    const index = new EventIndex(events);
    const ids = (json: string) => (JSON.parse(json) as { id: string }[]).map((event) => event.id);
    const search = (filter: string, pageSize: string, state = 'true') =>
      ids(index.searchJson(query({ filter, pageSize, state })));
    expect(search(batch(1, 3), '10')).toEqual(['e0', 'e2', 'e3']);
    expect(search(batch(1, 2, 3), '4')).toEqual(['e0', 'e1', 'e2', 'e3']);
    expect(search(batch(2, 3), '1')).toEqual(['e1']);
    expect(search(batch(1, 2), '10', 'false')).toEqual(['e5']);
    expect(search(own(2), '10')).toEqual(['e1', 'e4']);
  });

  it('matches hashes loosely only when asked to', () => {
    const upper: SimulatorEvent[] = [
      { active: true, event: { id: 'u', file: { sha256: 'ABC' } } },
      { active: true, event: { id: 'v', indicator2: [{ sha256: 'abc' }] } },
    ];
    const filter = 'file.hash.sha256: "abc"';
    const q = query({ filter, state: 'true' });
    expect(new EventIndex(upper).searchJson(q)).toBe('[]');
    expect(
      (JSON.parse(new EventIndex(upper, { looseHashes: true }).searchJson(q)) as unknown[]).length,
    ).toBe(2);
  });
});
