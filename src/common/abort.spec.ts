import { describe, expect, it } from '@jest/globals';
import { abortListeners, trackTimers } from '../../test/support/timing.js';
import {
  callSignal,
  followSignal,
  linkSignals,
  onAbort,
  sleep,
  untilAborted,
  wakeableSleep,
} from './abort.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('abort and timer helpers', () => {
  it('onAbort listens once and stops listening on request', () => {
    const controller = new AbortController();
    let calls = 0;
    const stop = onAbort(controller.signal, () => calls++);
    expect(abortListeners(controller.signal)).toBe(1);
    stop();
    expect(abortListeners(controller.signal)).toBe(0);
    onAbort(controller.signal, () => calls++);
    controller.abort();
    expect(calls).toBe(1);
  });

  it('followSignal aborts with its parent, with its reason, or on its own', () => {
    const parent = new AbortController();
    const followed = followSignal(parent.signal);
    parent.abort('gone');
    expect([followed.signal.aborted, followed.signal.reason]).toEqual([true, 'gone']);

    const other = new AbortController();
    const own = followSignal(other.signal);
    own.abort();
    own.release();
    expect([own.signal.aborted, other.signal.aborted, abortListeners(other.signal)]).toEqual([
      true,
      false,
      0,
    ]);
  });

  it('callSignal times out with a TimeoutError, and release leaves no timer or listener', async () => {
    const timedOut = callSignal(10);
    await sleep(30);
    expect([timedOut.signal.aborted, (timedOut.signal.reason as DOMException).name]).toEqual([
      true,
      'TimeoutError',
    ]);

    const caller = new AbortController();
    const timers = trackTimers();
    const released = callSignal(60_000, caller.signal);
    released.release();
    timers.stop();
    expect([timers.pending(), abortListeners(caller.signal)]).toEqual([0, 0]);
  });

  it('callSignal aborts at once with a caller that already gave up', () => {
    const caller = new AbortController();
    caller.abort('early');
    const attempt = callSignal(60_000, caller.signal);
    attempt.release();
    expect([attempt.signal.aborted, attempt.signal.reason]).toEqual([true, 'early']);
  });

  it('linkSignals aborts when either signal does, and release detaches both', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals(a.signal, b.signal);
    b.abort('b');
    expect([linked.signal.aborted, linked.signal.reason]).toEqual([true, 'b']);
    linked.release();
    expect([abortListeners(a.signal), abortListeners(b.signal)]).toEqual([0, 0]);

    const only = new AbortController();
    expect(linkSignals(only.signal).signal).toBe(only.signal);
    const aborted = new AbortController();
    aborted.abort('already');
    expect(linkSignals(only.signal, aborted.signal).signal.reason).toBe('already');
  });

  it('untilAborted settles with the promise, or with the abort error made when the signal aborts', async () => {
    const controller = new AbortController();
    expect(await untilAborted(Promise.resolve(1), controller.signal, () => new Error('x'))).toBe(1);
    expect(abortListeners(controller.signal)).toBe(0);

    let state = 'waiting';
    const pending = untilAborted(new Promise(() => undefined), controller.signal, () => {
      return new Error(`left while ${state}`);
    });
    state = 'calling';
    controller.abort();
    await expect(pending).rejects.toEqual(new Error('left while calling'));
    await expect(
      untilAborted(Promise.resolve(1), controller.signal, () => new Error('late')),
    ).rejects.toEqual(new Error('late'));
    await expect(
      untilAborted(Promise.reject(new Error('failed')), undefined, () => new Error('x')),
    ).rejects.toEqual(new Error('failed'));
  });

  it('sleep waits, or less when its signal aborts, and leaves nothing behind', async () => {
    const started = Date.now();
    await sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);

    const controller = new AbortController();
    const timers = trackTimers();
    const sleeping = sleep(60_000, controller.signal);
    controller.abort();
    await sleeping;
    timers.stop();
    expect([timers.pending(), abortListeners(controller.signal)]).toEqual([0, 0]);
  });

  it('wakeableSleep ends on wake, runs onEnd once, and never rejects', async () => {
    const ends: string[] = [];
    const sleeping = wakeableSleep(60_000, undefined, () => ends.push('end'));
    sleeping.wake();
    sleeping.wake();
    await sleeping.done;
    await tick();
    expect(ends).toEqual(['end']);
  });
});
