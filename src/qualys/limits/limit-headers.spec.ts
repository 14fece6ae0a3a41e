import { describe, expect, it } from '@jest/globals';
import { budgetBlock, readLimitHeaders, refusalKind } from './limit-headers.js';

describe('Qualys limit headers (spec §9)', () => {
  it('reads every header Qualys documents', () => {
    expect(
      readLimitHeaders(
        {
          'x-ratelimit-limit': '300',
          'x-ratelimit-window-sec': '3600',
          'x-ratelimit-remaining': '17',
          'x-ratelimit-towait-sec': '0',
          'x-concurrencylimit-limit': '2',
          'x-concurrencylimit-running': '1',
        },
        64,
      ),
    ).toEqual({
      windowSec: 3600,
      remaining: 17,
      toWaitSec: 0,
      concurrencyLimit: 2,
      concurrencyRunning: 1,
    });
  });

  it('reads the other spelling of the concurrency headers', () => {
    expect(
      readLimitHeaders(
        { 'x-concurrency-limit-limit': '5', 'x-concurrency-limit-running': '5' },
        64,
      ),
    ).toEqual({ concurrencyLimit: 5, concurrencyRunning: 5 });
  });

  it('reads a Headers-like object too', () => {
    const headers = new Headers({ 'X-ConcurrencyLimit-Limit': '3', 'X-RateLimit-Remaining': '0' });
    expect(readLimitHeaders(headers, 64)).toEqual({ concurrencyLimit: 3, remaining: 0 });
  });

  it('clamps limits to QUALYS_SUBSCRIPTION_CONCURRENCY_MAX and waits to the window', () => {
    expect(
      readLimitHeaders(
        {
          'x-concurrencylimit-limit': '100000',
          'x-ratelimit-window-sec': '60',
          'x-ratelimit-towait-sec': '86400',
        },
        8,
      ),
    ).toEqual({ concurrencyLimit: 8, windowSec: 60, toWaitSec: 60 });
    expect(readLimitHeaders({ 'x-ratelimit-towait-sec': '999999' }, 8)).toEqual({
      toWaitSec: 3600,
    });
    expect(readLimitHeaders({ 'x-ratelimit-window-sec': '86400' }, 8)).toEqual({ windowSec: 3600 });
  });

  it('ignores what does not parse, zero limits and negative values', () => {
    expect(
      readLimitHeaders(
        {
          'x-concurrencylimit-limit': '0',
          'x-concurrencylimit-running': 'many',
          'x-ratelimit-remaining': '-4',
          'x-ratelimit-towait-sec': '1e9',
          'x-ratelimit-window-sec': '2.5',
        },
        8,
      ),
    ).toEqual({});
  });

  it('tells concurrency refusals from rate refusals and other refusals', () => {
    const concurrency = readLimitHeaders(
      { 'x-concurrencylimit-limit': '2', 'x-concurrencylimit-running': '2' },
      8,
    );
    const rate = readLimitHeaders({ 'x-ratelimit-remaining': '0' }, 8);
    const waited = readLimitHeaders({ 'x-ratelimit-towait-sec': '30' }, 8);
    expect([
      refusalKind(concurrency),
      refusalKind(rate),
      refusalKind(waited),
      refusalKind({}),
      refusalKind(
        readLimitHeaders({ 'x-concurrencylimit-limit': '2', 'x-concurrencylimit-running': '1' }, 8),
      ),
    ]).toEqual(['concurrency', 'rate', 'rate', 'other', 'other']);
  });

  it('blocks for the wait Qualys gave, else probes after min(window, 60 s)', () => {
    expect(budgetBlock({ toWaitSec: 12 })).toEqual({ forMs: 12_000, probe: false });
    expect(budgetBlock({ remaining: 0, windowSec: 3600 })).toEqual({ forMs: 60_000, probe: true });
    expect(budgetBlock({ remaining: 0, windowSec: 3 })).toEqual({ forMs: 3000, probe: true });
    expect(budgetBlock({ remaining: 0 })).toEqual({ forMs: 60_000, probe: true });
  });
});
