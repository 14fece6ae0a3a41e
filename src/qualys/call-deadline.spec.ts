import { describe, expect, it } from '@jest/globals';
import { CallDeadline } from './call-deadline.js';

describe('CallDeadline', () => {
  it('counts down on its clock, and is spent once its signal aborts', () => {
    let now = 1000;
    const controller = new AbortController();
    const deadline = new CallDeadline(500, controller.signal, () => now);
    now += 200;
    expect(deadline.remaining()).toBe(300);
    controller.abort();
    expect(deadline.remaining()).toBe(0);
  });

  it('keeps the time left without the signal, or with another one', () => {
    let now = 0;
    const caller = new AbortController();
    const deadline = new CallDeadline(1000, caller.signal, () => now);
    now = 400;
    const unsignalled = deadline.unsignalled();
    const shared = new AbortController();
    const withShared = deadline.with(shared.signal);
    caller.abort();
    now = 500;
    expect([deadline.remaining(), unsignalled.remaining(), withShared.remaining()]).toEqual([
      0, 500, 500,
    ]);
    expect([unsignalled.signal, withShared.signal]).toEqual([undefined, shared.signal]);
  });
});
