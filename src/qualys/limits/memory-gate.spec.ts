import { describe, expect, it } from '@jest/globals';
import { leaseOf, shapeOf } from '../../../test/support/gate-answers.js';
import { abortListeners, trackTimers, settlesWithin, sleep } from '../../../test/support/timing.js';
import { MemoryGate } from './memory-gate.js';

const SUB = 'subscription-1';
const LEASE_MS = 10_000;

describe('MemoryGate (spec §9 slots and budget in one process)', () => {
  it('grants `limit` slots, then answers full until one is released', async () => {
    const gate = new MemoryGate();
    const first = leaseOf(await gate.enter(SUB, 2, LEASE_MS));
    leaseOf(await gate.enter(SUB, 2, LEASE_MS));
    expect(shapeOf(await gate.enter(SUB, 2, LEASE_MS))).toEqual({ kind: 'full' });
    // Another subscription never waits for this one.
    expect(shapeOf(await gate.enter('subscription-2', 2, LEASE_MS))).toEqual({
      kind: 'granted',
      probe: false,
    });

    await first.release();
    await first.release(); // idempotent: frees one slot, not two
    expect(shapeOf(await gate.enter(SUB, 2, LEASE_MS))).toEqual({ kind: 'granted', probe: false });
    expect(shapeOf(await gate.enter(SUB, 2, LEASE_MS))).toEqual({ kind: 'full' });
  });

  it('applies the limit passed on each call (Qualys headers move it up or down)', async () => {
    const gate = new MemoryGate();
    leaseOf(await gate.enter(SUB, 2, LEASE_MS));
    leaseOf(await gate.enter(SUB, 2, LEASE_MS));
    expect(shapeOf(await gate.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'full' });
    expect(shapeOf(await gate.enter(SUB, 3, LEASE_MS))).toEqual({ kind: 'granted', probe: false });
  });

  it('frees the slot of an expired lease', async () => {
    const gate = new MemoryGate();
    leaseOf(await gate.enter(SUB, 1, 400));
    expect(shapeOf(await gate.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'full' });
    await sleep(450);
    expect(shapeOf(await gate.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'granted', probe: false });
  });

  it('blocks for the given time, then lets calls flow without a probe', async () => {
    const gate = new MemoryGate();
    await gate.block(SUB, 500, false, 1000);
    const answer = await gate.enter(SUB, 2, LEASE_MS);
    expect(answer.kind).toBe('blocked');
    const retryInMs = answer.kind === 'blocked' ? answer.retryInMs : -1;
    expect(retryInMs).toBeGreaterThan(300);
    expect(retryInMs).toBeLessThanOrEqual(500);
    await sleep(550);
    expect(shapeOf(await gate.enter(SUB, 2, LEASE_MS))).toEqual({ kind: 'granted', probe: false });
    expect(shapeOf(await gate.enter(SUB, 2, LEASE_MS))).toEqual({ kind: 'granted', probe: false });
  });

  it('after a guessed block grants exactly one probe and makes the others wait for its slot until clear', async () => {
    const gate = new MemoryGate();
    await gate.block(SUB, 300, true, 5000);
    expect((await gate.enter(SUB, 2, LEASE_MS)).kind).toBe('blocked');
    await sleep(350);
    expect(shapeOf(await gate.enter(SUB, 2, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
    expect(await gate.enter(SUB, 2, LEASE_MS)).toEqual({ kind: 'full' });

    await gate.clear(SUB); // the probe's answer said calls remain
    expect(shapeOf(await gate.enter(SUB, 3, LEASE_MS))).toEqual({ kind: 'granted', probe: false });
  });

  it('lets another call probe when the probe never reports back within probeLeaseMs', async () => {
    const gate = new MemoryGate();
    await gate.block(SUB, 0, true, 400);
    expect(shapeOf(await gate.enter(SUB, 5, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
    expect(await gate.enter(SUB, 5, LEASE_MS)).toEqual({ kind: 'full' });
    await sleep(450);
    expect(shapeOf(await gate.enter(SUB, 5, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
  });

  it('starts over after a new block from the probe (spent again)', async () => {
    const gate = new MemoryGate();
    await gate.block(SUB, 0, true, 5000);
    expect(shapeOf(await gate.enter(SUB, 5, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
    await gate.block(SUB, 300, true, 5000);
    expect((await gate.enter(SUB, 5, LEASE_MS)).kind).toBe('blocked');
    await sleep(350);
    expect(shapeOf(await gate.enter(SUB, 5, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
  });

  it('does not spend the probe on a call that found the slots full', async () => {
    const gate = new MemoryGate();
    const holder = leaseOf(await gate.enter(SUB, 1, LEASE_MS));
    await gate.block(SUB, 0, true, 5000);
    expect(shapeOf(await gate.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'full' });
    await holder.release();
    expect(shapeOf(await gate.enter(SUB, 1, LEASE_MS))).toEqual({ kind: 'granted', probe: true });
  });

  describe('released()', () => {
    it('wakes on a release of the same subscription only', async () => {
      const gate = new MemoryGate();
      const lease = leaseOf(await gate.enter(SUB, 1, LEASE_MS));
      const other = leaseOf(await gate.enter('subscription-2', 1, LEASE_MS));
      const waiting = gate.released(SUB, 10_000);
      await other.release();
      expect(await settlesWithin(waiting, 50)).toBe(false);
      await lease.release();
      expect(await settlesWithin(waiting, 50)).toBe(true);
    });

    it('resolves after maxWaitMs and on abort, never rejects, and leaves no timer or listener', async () => {
      const gate = new MemoryGate();
      const timers = trackTimers();
      try {
        expect(await settlesWithin(gate.released(SUB, 50), 1000)).toBe(true);
        expect(timers.pending()).toBe(0);

        const controller = new AbortController();
        const aborted = gate.released(SUB, 10_000, controller.signal);
        expect([timers.pending(), abortListeners(controller.signal)]).toEqual([1, 1]);
        controller.abort();
        expect(await settlesWithin(aborted, 50)).toBe(true);
        expect([timers.pending(), abortListeners(controller.signal)]).toEqual([0, 0]);

        // Already aborted: resolves at once, arms nothing.
        await expect(gate.released(SUB, 10_000, controller.signal)).resolves.toBeUndefined();
        expect(timers.pending()).toBe(0);
      } finally {
        timers.stop();
      }
    });
  });
});
