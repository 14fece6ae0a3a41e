import { describe, expect, it } from '@jest/globals';
import { DeadlineReachedError, RelayRequestScope } from './relay-request-scope.js';

describe('RelayRequestScope (spec §9 deadline)', () => {
  it('aborts its signal a little before the deadline, so the answer still fits', async () => {
    const started = Date.now();
    const scope = new RelayRequestScope(1000, started);
    expect(scope.deadlineAt).toBe(started + 950); // 5 % kept for mapping and writing the answer
    expect(scope.expired).toBe(false);
    const reason = await new Promise<unknown>((resolve) =>
      scope.signal.addEventListener('abort', () => resolve(scope.signal.reason), { once: true }),
    );
    expect(reason).toBeInstanceOf(DeadlineReachedError);
    expect([scope.expired, scope.remainingMs()]).toEqual([true, 0]);
  });

  it('keeps at most 250 ms back, and leaves no timer once the request ended', () => {
    const scope = new RelayRequestScope(20_000, 0);
    expect(scope.deadlineAt).toBe(19_750);
    scope.end();
    expect(scope.expired).toBe(false);
  });
});
