import { describe, expect, it } from '@jest/globals';
import { nextStep, retryDelayMs, type PolicyAnswer } from './retry-policy.js';

describe('retryDelayMs (spec §7)', () => {
  it('prefers X-RateLimit-ToWait-Sec over Retry-After', () => {
    expect(retryDelayMs(0, { 'x-ratelimit-towait-sec': '2', 'retry-after': '9' })).toBe(2000);
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(retryDelayMs(0, { 'retry-after': '1.5' })).toBe(1500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryDelayMs(0, { 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now)).toBe(3000);
  });

  it('backs off exponentially with jitter when Qualys says nothing', () => {
    expect(retryDelayMs(0, {}, 0, () => 0)).toBe(125);
    expect(retryDelayMs(0, {}, 0, () => 1)).toBe(250);
    expect(retryDelayMs(2, {}, 0, () => 1)).toBe(1000);
    expect(retryDelayMs(10, {}, 0, () => 1)).toBe(5000);
  });

  it('ignores garbage headers', () => {
    expect(
      retryDelayMs(1, { 'x-ratelimit-towait-sec': 'soon', 'retry-after': '-3' }, 0, () => 1),
    ).toBe(500);
  });
});

describe('nextStep: what follows an answer (spec §7, §9)', () => {
  const options = { retries: 2, random: () => 1 };
  const answer = (statusClass: PolicyAnswer['statusClass'], extra: Partial<PolicyAnswer> = {}) => ({
    statusClass,
    headers: {},
    ...extra,
  });
  const rate = (forMs: number, probe = false): PolicyAnswer =>
    answer('rate_limited', { refusal: { kind: 'rate', block: { forMs, probe } } });

  it('takes a success, an empty search and a final error as they are', () => {
    expect(
      (
        [
          'success',
          'not_found',
          'unauthorized',
          'forbidden',
          'client_error',
          'server_error',
        ] as const
      ).map((statusClass) => nextStep(answer(statusClass), 0, 10_000, options)),
    ).toEqual(Array(6).fill({ kind: 'done' }));
  });

  it('sends a concurrency refusal back to the head of the queue, using no retry, even with none left', () => {
    const refused = answer('rate_limited', { refusal: { kind: 'concurrency' } });
    expect([nextStep(refused, 0, 10_000, options), nextStep(refused, 2, 10_000, options)]).toEqual([
      { kind: 'requeue' },
      { kind: 'requeue' },
    ]);
  });

  it('waits out a rate refusal when the wait fits, for the limits', () => {
    expect(nextStep(rate(1000), 0, 1101, options)).toEqual({
      kind: 'retry',
      afterMs: 1000,
      forLimits: true,
    });
  });

  it('blocks the subscription when the rate wait does not fit, no retry is left, or the block is a guess', () => {
    expect([
      nextStep(rate(1000), 0, 1100, options),
      nextStep(rate(1000), 2, 60_000, options),
      nextStep(rate(60_000, true), 0, 600_000, options),
    ]).toEqual([
      { kind: 'block', forMs: 1000, probe: false },
      { kind: 'block', forMs: 1000, probe: false },
      { kind: 'block', forMs: 60_000, probe: true },
    ]);
  });

  it('backs off after a 503 or a refusal its headers do not explain, by retryDelayMs', () => {
    const headers = { 'retry-after': '1' };
    expect([
      nextStep(answer('unavailable', { headers }), 0, 10_000, options),
      nextStep(answer('rate_limited'), 1, 10_000, options),
    ]).toEqual([
      { kind: 'retry', afterMs: 1000, forLimits: false },
      { kind: 'retry', afterMs: 500, forLimits: false },
    ]);
  });

  it('keeps the answer when no retry is left, or the back-off would leave no time for the call', () => {
    const headers = { 'retry-after': '1' };
    expect([
      nextStep(answer('unavailable'), 2, 10_000, options),
      nextStep(answer('unavailable', { headers }), 0, 1100, options),
      nextStep(answer('unavailable', { headers }), 0, 1101, options),
    ]).toEqual([
      { kind: 'done' },
      { kind: 'done' },
      { kind: 'retry', afterMs: 1000, forLimits: false },
    ]);
  });
});
