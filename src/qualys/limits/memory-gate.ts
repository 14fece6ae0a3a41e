import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { GateAnswer, SubscriptionGate } from './limit-stores.js';
import { Waiters } from './waiters.js';

/**
 * How long a probe-mode budget block outlives its guessed end when nobody
 * reports back: spec §9 forgets learned limits after an idle hour, and then
 * calls flow again and Qualys's next answer says what holds.
 */
export const PROBE_STATE_IDLE_MS = 3_600_000;

interface BudgetBlock {
  /** No call before this (monotonic ms). */
  until: number;
  /** After `until`, one call at a time may probe. */
  probe: boolean;
  probeLeaseMs: number;
  /** The current probe's claim ends here (monotonic ms). */
  probeClaimedUntil?: number;
  /** The block is forgotten here (monotonic ms). */
  forgetAt: number;
}

interface SubscriptionState {
  /** Lease id → expiry (monotonic ms). */
  leases: Map<string, number>;
  block?: BudgetBlock;
}

/**
 * Slots and budget of subscriptions in this process: the embedded default
 * (no `REDIS_URL`) and the fallback while Redis is down. Same decisions as
 * `RedisGate`'s script, on the monotonic clock so a wall-clock step changes
 * nothing.
 */
export class MemoryGate implements SubscriptionGate {
  private readonly states = new Map<string, SubscriptionState>();
  private readonly waiters = new Waiters();

  enter(subscriptionId: string, limit: number, leaseMs: number): Promise<GateAnswer> {
    return Promise.resolve(this.decide(subscriptionId, limit, leaseMs));
  }

  released(subscriptionId: string, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    return this.waiters.wait(subscriptionId, maxWaitMs, signal);
  }

  block(
    subscriptionId: string,
    forMs: number,
    probe: boolean,
    probeLeaseMs: number,
  ): Promise<void> {
    const now = performance.now();
    const until = now + Math.max(0, forMs);
    this.stateOf(subscriptionId).block = {
      until,
      probe,
      probeLeaseMs,
      forgetAt: probe ? until + PROBE_STATE_IDLE_MS : until,
    };
    return Promise.resolve();
  }

  clear(subscriptionId: string): Promise<void> {
    const state = this.states.get(subscriptionId);
    if (state !== undefined) {
      state.block = undefined;
      this.forgetIfIdle(subscriptionId, state);
    }
    return Promise.resolve();
  }

  private decide(subscriptionId: string, limit: number, leaseMs: number): GateAnswer {
    const now = performance.now();
    const state = this.stateOf(subscriptionId);
    let probe = false;
    const block = state.block;
    if (block !== undefined && now >= block.forgetAt) state.block = undefined;
    else if (block !== undefined) {
      if (now < block.until)
        return { kind: 'blocked', retryInMs: Math.max(1, Math.ceil(block.until - now)) };
      // Another call is probing: wait for its slot, whose answer decides (limit-stores.ts).
      if (now < (block.probeClaimedUntil ?? 0)) return { kind: 'full' };
      probe = true;
    }

    for (const [id, expiresAt] of state.leases) {
      if (expiresAt <= now) state.leases.delete(id);
    }
    if (state.leases.size >= limit) {
      this.forgetIfIdle(subscriptionId, state);
      return { kind: 'full' };
    }

    // The probe is claimed only together with a slot: a full gate leaves it for the next caller.
    if (probe && block !== undefined) block.probeClaimedUntil = now + block.probeLeaseMs;
    const leaseId = randomUUID();
    state.leases.set(leaseId, now + leaseMs);
    let released = false;
    const release = (): Promise<void> => {
      if (!released) {
        released = true;
        state.leases.delete(leaseId);
        this.forgetIfIdle(subscriptionId, state);
        this.waiters.wake(subscriptionId);
      }
      return Promise.resolve();
    };
    return { kind: 'granted', lease: { release }, probe };
  }

  private stateOf(subscriptionId: string): SubscriptionState {
    let state = this.states.get(subscriptionId);
    if (state === undefined) {
      state = { leases: new Map() };
      this.states.set(subscriptionId, state);
    }
    return state;
  }

  /** Keeps the map as small as the set of subscriptions with a lease or a block. */
  private forgetIfIdle(subscriptionId: string, state: SubscriptionState): void {
    if (
      state.leases.size === 0 &&
      state.block === undefined &&
      this.states.get(subscriptionId) === state
    ) {
      this.states.delete(subscriptionId);
    }
  }
}
