import { randomUUID } from 'node:crypto';
import type { Result } from 'ioredis';
import type { GateAnswer, SubscriptionGate } from './limit-stores.js';
import { PROBE_STATE_IDLE_MS } from './memory-gate.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisWakeups } from './redis-wakeups.js';
import type { StateKeys } from './state-keys.js';

/**
 * Budget check and slot lease in one atomic step, timed by Redis's own
 * clock (`TIME`) so replicas' clocks need not agree.
 * KEYS: slots (sorted set: lease id → expiry), budget (hash), probe claim,
 * release counter. ARGV: lease id, limit, lease ms.
 * Returns {'granted', probe 0|1}, {'full', release count} or {'blocked', retry ms}.
 */
const ENTER = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local probe = 0
local budget = redis.call('HMGET', KEYS[2], 'until', 'probe', 'probeLeaseMs')
if budget[1] then
  local blockedUntil = tonumber(budget[1])
  if now < blockedUntil then
    return {'blocked', blockedUntil - now}
  end
  if budget[2] == '1' then
    if not redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', budget[3]) then
      -- another call is probing: wait for its slot, whose answer decides
      return {'full', tonumber(redis.call('GET', KEYS[4]) or '0')}
    end
    probe = 1
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  if probe == 1 then
    redis.call('DEL', KEYS[3])
  end
  return {'full', tonumber(redis.call('GET', KEYS[4]) or '0')}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return {'granted', probe}
`;

/**
 * KEYS: budget, probe claim. ARGV: for ms, probe 0|1, probe lease ms, idle ms.
 * A new block also ends the current probe's claim: after it, one call probes again.
 */
const BLOCK = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('DEL', KEYS[1], KEYS[2])
local forMs = tonumber(ARGV[1])
local keepMs = forMs
if ARGV[2] == '1' then
  keepMs = forMs + tonumber(ARGV[4])
end
if keepMs > 0 then
  redis.call('HSET', KEYS[1], 'until', now + forMs, 'probe', ARGV[2], 'probeLeaseMs', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], keepMs)
end
return 1
`;

/** KEYS: slots, release counter. ARGV: lease id, released channel, counter lifetime ms. */
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[2], '1')
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    relayGateEnter(
      slots: string,
      budget: string,
      probe: string,
      releases: string,
      leaseId: string,
      limit: number,
      leaseMs: number,
    ): Result<[string, number], Context>;
    relayGateBlock(
      budget: string,
      probe: string,
      forMs: number,
      probeFlag: number,
      probeLeaseMs: number,
      idleMs: number,
    ): Result<number, Context>;
    relayGateRelease(
      slots: string,
      releases: string,
      leaseId: string,
      channel: string,
      counterMs: number,
    ): Result<number, Context>;
  }
}

/**
 * Slots and budget of subscriptions shared by every replica (spec §9).
 *
 * Hand-written rather than `redis-semaphore`: the limit changes from one
 * call to the next as Qualys's headers change; a waiter must stop at its
 * request's deadline (an abort signal) and wake on pub/sub, not poll; and
 * the budget block and the slot are checked in one round trip, so a
 * blocked subscription never takes (and then returns) a slot.
 *
 * `enter`, `block` and `clear` reject when Redis fails (the fallback in
 * `createLimitStores` answers from this process then); a lease's `release`
 * and `released` never reject: a lease whose release fails expires.
 */
export class RedisGate implements SubscriptionGate {
  private readonly wakeups: RedisWakeups;
  /** Subscription → its release counter at the last `full` answer (one number per subscription seen). */
  private readonly releasesAtFull = new Map<string, number>();

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: StateKeys,
  ) {
    const client = connection.client;
    client.defineCommand('relayGateEnter', { numberOfKeys: 4, lua: ENTER });
    client.defineCommand('relayGateBlock', { numberOfKeys: 2, lua: BLOCK });
    client.defineCommand('relayGateRelease', { numberOfKeys: 2, lua: RELEASE });
    this.wakeups = new RedisWakeups(connection.subscriber);
  }

  async enter(subscriptionId: string, limit: number, leaseMs: number): Promise<GateAnswer> {
    const leaseId = randomUUID();
    const [kind, value] = await this.connection.client.relayGateEnter(
      this.keys.slotsKey(subscriptionId),
      this.keys.budgetKey(subscriptionId),
      this.keys.probeKey(subscriptionId),
      this.keys.releasesKey(subscriptionId),
      leaseId,
      limit,
      Math.ceil(leaseMs),
    );
    if (kind === 'blocked') return { kind: 'blocked', retryInMs: value };
    if (kind === 'full') {
      this.releasesAtFull.set(subscriptionId, value);
      return { kind: 'full' };
    }
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await this.release(subscriptionId, leaseId);
    };
    return { kind: 'granted', lease: { release }, probe: value === 1 };
  }

  /**
   * A release published before this process's SUBSCRIBE took effect would
   * be missed, and the waiter would sleep to its deadline with a slot free.
   * So once subscribed, the release counter is compared with its value at
   * the last `full` answer here: if it moved, the waiters wake at once.
   */
  released(subscriptionId: string, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    const channel = this.keys.releasedChannel(subscriptionId);
    const waiting = this.wakeups.wait(channel, maxWaitMs, signal);
    const seen = this.releasesAtFull.get(subscriptionId);
    if (seen !== undefined) {
      void this.wakeups.subscribed(channel).then(async (subscribed) => {
        if (!subscribed) return;
        const count = await this.connection.client
          .get(this.keys.releasesKey(subscriptionId))
          .catch(() => undefined);
        if (count !== undefined && Number(count ?? 0) !== seen) this.wakeups.wake(channel);
      });
    }
    return waiting;
  }

  async block(
    subscriptionId: string,
    forMs: number,
    probe: boolean,
    probeLeaseMs: number,
  ): Promise<void> {
    await this.connection.client.relayGateBlock(
      this.keys.budgetKey(subscriptionId),
      this.keys.probeKey(subscriptionId),
      Math.max(0, Math.ceil(forMs)),
      probe ? 1 : 0,
      Math.max(1, Math.ceil(probeLeaseMs)),
      PROBE_STATE_IDLE_MS,
    );
  }

  async clear(subscriptionId: string): Promise<void> {
    await this.connection.client.del(
      this.keys.budgetKey(subscriptionId),
      this.keys.probeKey(subscriptionId),
    );
  }

  private async release(subscriptionId: string, leaseId: string): Promise<void> {
    const channel = this.keys.releasedChannel(subscriptionId);
    try {
      await this.connection.client.relayGateRelease(
        this.keys.slotsKey(subscriptionId),
        this.keys.releasesKey(subscriptionId),
        leaseId,
        channel,
        PROBE_STATE_IDLE_MS,
      );
    } catch (error) {
      this.connection.commandFailed(error); // the lease simply expires
    }
    // After the slot is free, not before: a waiter woken earlier would find it still held.
    // Waiters here need not wait for the published message to travel through Redis.
    this.wakeups.wake(channel);
  }
}
