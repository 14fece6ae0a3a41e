import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_LIMIT_SETTINGS,
  LimitSettingsError,
  SubscriptionLimits,
  validateLimitsPatch,
} from './subscription-limits.js';

// Times are plain numbers handed to the limits (epoch ms in the simulator):
// the window arithmetic is checked exactly here, the real-time behaviour
// against a real server in qualys-simulator.limits.e2e-spec.ts.
const T0 = 1_700_000_000_000;

describe('validateLimitsPatch', () => {
  it('copies a full patch and drops undefined values', () => {
    const input = {
      concurrencyLimit: 2,
      rateLimit: { calls: 300, windowSec: 3600 },
      refusalStatus: 409,
      concurrencyHeaderSpelling: 'X-Concurrency-Limit-*',
      rateRefusalWait: false,
    };
    const patch = validateLimitsPatch(input);
    expect(patch).toEqual(input);
    expect(patch.rateLimit).not.toBe(input.rateLimit);
    expect(validateLimitsPatch({ concurrencyLimit: undefined, rateLimit: null })).toStrictEqual({
      rateLimit: null,
    });
  });

  it.each([
    [null, 'limits must be a JSON object'],
    [[], 'limits must be a JSON object'],
    [{ concurrency: 2 }, "unknown limit setting 'concurrency'"],
    [{ concurrencyLimit: 0 }, "'concurrencyLimit' must be a positive integer or null"],
    [{ concurrencyLimit: 1.5 }, "'concurrencyLimit' must be a positive integer or null"],
    [{ concurrencyLimit: '2' }, "'concurrencyLimit' must be a positive integer or null"],
    [{ rateLimit: { calls: 0, windowSec: 1 } }, "'rateLimit' must be"],
    [{ rateLimit: { calls: 1, windowSec: 0.5 } }, "'rateLimit' must be"],
    [{ rateLimit: { calls: 1 } }, "'rateLimit' must be"],
    [{ rateLimit: { calls: 1, windowSec: 1, burst: 2 } }, "'rateLimit' must be"],
    [{ rateLimit: '300/3600' }, "'rateLimit' must be"],
    [{ refusalStatus: 503 }, "'refusalStatus' must be one of 429, 409"],
    [
      { concurrencyHeaderSpelling: 'X-ConcurrencyLimit' },
      "'concurrencyHeaderSpelling' must be one of X-ConcurrencyLimit-*, X-Concurrency-Limit-*",
    ],
    [{ rateRefusalWait: 'no' }, "'rateRefusalWait' must be a boolean"],
  ])('refuses %j', (input, message) => {
    expect(() => validateLimitsPatch(input)).toThrow(LimitSettingsError);
    expect(() => validateLimitsPatch(input)).toThrow(message);
  });

  it('names the whole rate limit shape in its message', () => {
    expect(() => validateLimitsPatch({ rateLimit: {} })).toThrow(
      `'rateLimit' must be {"calls": <positive integer>, "windowSec": <positive integer>} or null`,
    );
  });
});

describe('SubscriptionLimits', () => {
  it('is unlimited by default: admits everything and adds no header', () => {
    const limits = new SubscriptionLimits();
    expect(limits.current).toEqual(DEFAULT_LIMIT_SETTINGS);
    for (let i = 0; i < 50; i++) expect(limits.admit('alice', T0)).toBeUndefined();
    expect(limits.headers('alice', T0)).toEqual({});
    expect(limits.stats().runningSearches).toEqual({ overall: 50, byUser: { alice: 50 } });
  });

  it('refuses a search while the user has N running, and admits again after a release', () => {
    const limits = new SubscriptionLimits({ concurrencyLimit: 2 });
    expect([limits.admit('alice', T0), limits.admit('alice', T0)]).toEqual([undefined, undefined]);
    expect(limits.admit('alice', T0)).toBe('concurrency');
    expect(limits.headers('alice', T0)).toEqual({
      'X-ConcurrencyLimit-Limit': '2',
      'X-ConcurrencyLimit-Running': '2',
    });
    // Subscriptions are independent.
    expect(limits.admit('bob', T0)).toBeUndefined();
    limits.release('alice');
    expect(limits.admit('alice', T0)).toBeUndefined();
    expect(limits.stats()).toEqual({
      runningSearches: { overall: 3, byUser: { alice: 2, bob: 1 } },
      peakRunningSearches: { overall: 3, byUser: { alice: 2, bob: 1 } },
      refusals: { concurrency: 1, rate: 0 },
    });
  });

  it('spells the concurrency headers as configured', () => {
    const limits = new SubscriptionLimits({
      concurrencyLimit: 1,
      concurrencyHeaderSpelling: 'X-Concurrency-Limit-*',
    });
    limits.admit('alice', T0);
    expect(limits.headers('alice', T0)).toEqual({
      'X-Concurrency-Limit-Limit': '1',
      'X-Concurrency-Limit-Running': '1',
    });
  });

  it('keeps a sliding window per user and says how long until the oldest call leaves it', () => {
    const limits = new SubscriptionLimits({ rateLimit: { calls: 2, windowSec: 10 } });
    expect(limits.admit('alice', T0)).toBeUndefined();
    expect(limits.headers('alice', T0)).toEqual({
      'X-RateLimit-Limit': '2',
      'X-RateLimit-Window-Sec': '10',
      'X-RateLimit-Remaining': '1',
    });
    expect(limits.admit('alice', T0 + 4000)).toBeUndefined();
    // The answer that spends the last call already says how long to wait.
    expect(limits.headers('alice', T0 + 4000)).toEqual({
      'X-RateLimit-Limit': '2',
      'X-RateLimit-Window-Sec': '10',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-ToWait-Sec': '6',
    });
    expect(limits.admit('alice', T0 + 7500)).toBe('rate');
    expect(limits.headers('alice', T0 + 7500)['X-RateLimit-ToWait-Sec']).toBe('3'); // 2.5 s, up
    expect(limits.admit('bob', T0 + 7500)).toBeUndefined();
    // The first call leaves the window exactly 10 s after it was made.
    expect(limits.admit('alice', T0 + 9999)).toBe('rate');
    expect(limits.admit('alice', T0 + 10_000)).toBeUndefined();
    expect(limits.headers('alice', T0 + 10_000)).toEqual({
      'X-RateLimit-Limit': '2',
      'X-RateLimit-Window-Sec': '10',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-ToWait-Sec': '4',
    });
    expect(limits.stats().refusals).toEqual({ concurrency: 0, rate: 2 });
  });

  it('leaves the wait out when rateRefusalWait is false', () => {
    const limits = new SubscriptionLimits({
      rateLimit: { calls: 1, windowSec: 60 },
      rateRefusalWait: false,
    });
    limits.admit('alice', T0);
    expect(limits.admit('alice', T0 + 1)).toBe('rate');
    expect(limits.headers('alice', T0 + 1)).toEqual({
      'X-RateLimit-Limit': '1',
      'X-RateLimit-Window-Sec': '60',
      'X-RateLimit-Remaining': '0',
    });
  });

  it('charges refusals nothing: a concurrency refusal spends no call, a refusal never runs', () => {
    const limits = new SubscriptionLimits({
      concurrencyLimit: 1,
      rateLimit: { calls: 2, windowSec: 60 },
    });
    limits.admit('alice', T0);
    expect(limits.admit('alice', T0)).toBe('concurrency');
    expect(limits.admit('alice', T0)).toBe('concurrency');
    limits.release('alice');
    expect(limits.admit('alice', T0)).toBeUndefined();
    limits.release('alice');
    expect(limits.admit('alice', T0)).toBe('rate');
    expect(limits.headers('alice', T0)).toEqual({
      'X-RateLimit-Limit': '2',
      'X-RateLimit-Window-Sec': '60',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-ToWait-Sec': '60',
      'X-ConcurrencyLimit-Limit': '1',
      'X-ConcurrencyLimit-Running': '0',
    });
    expect(limits.stats().runningSearches).toEqual({ overall: 0, byUser: {} });
  });

  it('never refuses a search without a user and gives it the subscription-wide headers only', () => {
    const limits = new SubscriptionLimits({
      concurrencyLimit: 1,
      rateLimit: { calls: 1, windowSec: 60 },
    });
    expect([limits.admit(undefined, T0), limits.admit(undefined, T0)]).toEqual([
      undefined,
      undefined,
    ]);
    expect(limits.headers(undefined, T0)).toEqual({
      'X-RateLimit-Limit': '1',
      'X-RateLimit-Window-Sec': '60',
      'X-ConcurrencyLimit-Limit': '1',
    });
    expect(limits.admit('alice', T0)).toBeUndefined();
    expect(limits.stats().runningSearches).toEqual({ overall: 3, byUser: { alice: 1 } });
    limits.release(undefined);
    limits.release('alice');
    expect(limits.stats().runningSearches).toEqual({ overall: 1, byUser: {} });
  });

  it('applies a patch: a new rate limit starts every window afresh, running searches stay', () => {
    const limits = new SubscriptionLimits({
      concurrencyLimit: 3,
      rateLimit: { calls: 1, windowSec: 60 },
    });
    limits.admit('alice', T0);
    expect(limits.admit('alice', T0)).toBe('rate');
    expect(limits.update({ concurrencyLimit: 1 })).toEqual({
      ...DEFAULT_LIMIT_SETTINGS,
      concurrencyLimit: 1,
      rateLimit: { calls: 1, windowSec: 60 },
    });
    expect(limits.admit('alice', T0)).toBe('concurrency');
    limits.release('alice');
    expect(limits.admit('alice', T0)).toBe('rate');
    limits.update({ rateLimit: { calls: 1, windowSec: 60 } });
    expect(limits.admit('alice', T0)).toBeUndefined();
    limits.update({ concurrencyLimit: null, rateLimit: null });
    expect(limits.admit('alice', T0)).toBeUndefined();
    expect(limits.headers('alice', T0)).toEqual({});
    expect(() => limits.update({ refusalStatus: 500 as 429 })).toThrow(
      "'refusalStatus' must be one of 429, 409",
    );
  });

  it('answers a copy of its settings', () => {
    const limits = new SubscriptionLimits({ rateLimit: { calls: 1, windowSec: 1 } });
    const copy = limits.current;
    copy.rateLimit!.calls = 99;
    expect(limits.current.rateLimit).toEqual({ calls: 1, windowSec: 1 });
  });

  it('words refusals with the status configured', () => {
    const limits = new SubscriptionLimits({
      concurrencyLimit: 2,
      rateLimit: { calls: 300, windowSec: 3600 },
    });
    expect(limits.refusal('concurrency')).toEqual({
      status: 429,
      body: 'Too Many Requests: concurrency limit of 2 calls reached',
    });
    limits.update({ refusalStatus: 409 });
    expect(limits.refusal('rate')).toEqual({
      status: 409,
      body: 'Conflict: rate limit of 300 calls per 3600 seconds reached',
    });
  });

  it('resets counters, and starts peaks again from the searches running now', () => {
    const limits = new SubscriptionLimits({ concurrencyLimit: 3 });
    for (let i = 0; i < 3; i++) limits.admit('alice', T0);
    limits.admit('bob', T0);
    limits.admit('alice', T0);
    limits.release('alice');
    limits.release('alice');
    limits.release('bob');
    limits.resetStats();
    expect(limits.stats()).toEqual({
      runningSearches: { overall: 1, byUser: { alice: 1 } },
      peakRunningSearches: { overall: 1, byUser: { alice: 1 } },
      refusals: { concurrency: 0, rate: 0 },
    });
  });

  it('stays exact over many windows as old calls leave them', () => {
    const limits = new SubscriptionLimits({ rateLimit: { calls: 3, windowSec: 1 } });
    let admitted = 0;
    for (let t = 0; t < 100_000; t += 10) {
      if (limits.admit('alice', T0 + t) === undefined) {
        admitted++;
        limits.release('alice');
      }
    }
    // 3 calls per second over 100 s of arrivals every 10 ms.
    expect(admitted).toBe(300);
    expect(limits.stats().refusals.rate).toBe(10_000 - 300);
    // The last calls came at +99 000, +99 010 and +99 020 ms: they leave one by one.
    expect(limits.headers('alice', T0 + 100_000)['X-RateLimit-Remaining']).toBe('1');
    expect(limits.headers('alice', T0 + 100_020)['X-RateLimit-Remaining']).toBe('3');
  });
});
