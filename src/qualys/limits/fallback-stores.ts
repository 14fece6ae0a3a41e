import { followSignal } from '../../common/abort.js';
import type {
  CachedSearch,
  GateAnswer,
  InflightStore,
  ResultStore,
  SubscriptionGate,
} from './limit-stores.js';
import type { RedisConnection } from './redis-connection.js';

/**
 * Spec §9, "Redis down": each call goes to Redis while it is up and to this
 * process's store while it is not, and a call that fails in Redis (timeout,
 * closed connection, a refusal) is answered from this process. A Redis
 * outage never rejects a store call. When Redis is back, sharing resumes
 * with the next call.
 */
class RedisOrMemory {
  constructor(private readonly connection: RedisConnection) {}

  async run<T>(viaRedis: () => Promise<T>, viaMemory: () => Promise<T>): Promise<T> {
    if (!this.connection.up) return viaMemory();
    try {
      return await viaRedis();
    } catch (error) {
      this.connection.commandFailed(error);
      return viaMemory();
    }
  }

  /** Best effort in Redis on top of what this process always does (`block`, `clear`). */
  async alsoInRedis(viaRedis: () => Promise<void>): Promise<void> {
    if (!this.connection.up) return;
    try {
      await viaRedis();
    } catch (error) {
      this.connection.commandFailed(error);
    }
  }

  /**
   * Waits in the store in use now, but ends the wait when Redis comes or
   * goes: a waiter on Redis would otherwise sleep through an outage while
   * slots free up in this process (and the reverse), until its deadline.
   */
  async wait(
    signal: AbortSignal | undefined,
    viaRedis: (signal: AbortSignal) => Promise<void>,
    viaMemory: (signal: AbortSignal) => Promise<void>,
  ): Promise<void> {
    if (signal?.aborted === true) return;
    const linked = followSignal(signal);
    const unsubscribe = this.connection.onStateChange(() => linked.abort());
    try {
      await (this.connection.up ? viaRedis : viaMemory)(linked.signal);
    } finally {
      linked.release();
      unsubscribe();
    }
  }
}

export class FallbackGate implements SubscriptionGate {
  private readonly via: RedisOrMemory;

  constructor(
    private readonly redis: SubscriptionGate,
    private readonly memory: SubscriptionGate,
    connection: RedisConnection,
  ) {
    this.via = new RedisOrMemory(connection);
  }

  /** A lease from Redis is released in Redis (or expires there); one from memory, in memory. */
  enter(subscriptionId: string, limit: number, leaseMs: number): Promise<GateAnswer> {
    return this.via.run(
      () => this.redis.enter(subscriptionId, limit, leaseMs),
      () => this.memory.enter(subscriptionId, limit, leaseMs),
    );
  }

  released(subscriptionId: string, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    return this.via.wait(
      signal,
      (linked) => this.redis.released(subscriptionId, maxWaitMs, linked),
      (linked) => this.memory.released(subscriptionId, maxWaitMs, linked),
    );
  }

  /**
   * Kept in this process too: a block Qualys announced still holds here
   * if Redis goes away before it ends.
   */
  async block(
    subscriptionId: string,
    forMs: number,
    probe: boolean,
    probeLeaseMs: number,
  ): Promise<void> {
    await this.memory.block(subscriptionId, forMs, probe, probeLeaseMs);
    await this.via.alsoInRedis(() => this.redis.block(subscriptionId, forMs, probe, probeLeaseMs));
  }

  async clear(subscriptionId: string): Promise<void> {
    await this.memory.clear(subscriptionId);
    await this.via.alsoInRedis(() => this.redis.clear(subscriptionId));
  }
}

export class FallbackResults implements ResultStore {
  private readonly via: RedisOrMemory;

  constructor(
    private readonly redis: ResultStore,
    private readonly memory: ResultStore,
    connection: RedisConnection,
  ) {
    this.via = new RedisOrMemory(connection);
  }

  get(credentialsId: string, cacheKey: string): Promise<CachedSearch | undefined> {
    return this.via.run(
      () => this.redis.get(credentialsId, cacheKey),
      () => this.memory.get(credentialsId, cacheKey),
    );
  }

  set(credentialsId: string, cacheKey: string, value: CachedSearch, ttlMs: number): Promise<void> {
    return this.via.run(
      () => this.redis.set(credentialsId, cacheKey, value, ttlMs),
      () => this.memory.set(credentialsId, cacheKey, value, ttlMs),
    );
  }
}

export class FallbackInflight implements InflightStore {
  private readonly via: RedisOrMemory;

  constructor(
    private readonly redis: InflightStore,
    private readonly memory: InflightStore,
    connection: RedisConnection,
  ) {
    this.via = new RedisOrMemory(connection);
  }

  /** While Redis is down every replica owns its searches (coalescing stays within each process). */
  claim(credentialsId: string, coalesceKey: string, ttlMs: number): Promise<boolean> {
    return this.via.run(
      () => this.redis.claim(credentialsId, coalesceKey, ttlMs),
      () => this.memory.claim(credentialsId, coalesceKey, ttlMs),
    );
  }

  finish(credentialsId: string, coalesceKey: string): Promise<void> {
    return this.via.run(
      () => this.redis.finish(credentialsId, coalesceKey),
      () => this.memory.finish(credentialsId, coalesceKey),
    );
  }

  finished(
    credentialsId: string,
    coalesceKey: string,
    maxWaitMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    return this.via.wait(
      signal,
      (linked) => this.redis.finished(credentialsId, coalesceKey, maxWaitMs, linked),
      (linked) => this.memory.finished(credentialsId, coalesceKey, maxWaitMs, linked),
    );
  }
}
