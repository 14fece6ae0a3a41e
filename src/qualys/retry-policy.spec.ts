import { describe, expect, it } from '@jest/globals';
import { retryDelayMs } from './retry-policy.js';

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
