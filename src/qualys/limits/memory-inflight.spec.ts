import { describe, expect, it } from '@jest/globals';
import { MemoryInflight } from './memory-inflight.js';

describe('MemoryInflight (coalescing in one process is the caller’s promise map)', () => {
  it('lets every caller own its search and never makes anyone wait', async () => {
    const inflight = new MemoryInflight();
    expect(await inflight.claim('cred', 'search', 1000)).toBe(true);
    expect(await inflight.claim('cred', 'search', 1000)).toBe(true);
    await expect(inflight.finished('cred', 'search', 60_000)).resolves.toBeUndefined();
    await expect(inflight.finish('cred', 'search')).resolves.toBeUndefined();
  });
});
