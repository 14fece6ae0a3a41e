import { randomUUID } from 'node:crypto';
import type { Result } from 'ioredis';
import type { InflightStore } from './limit-stores.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisWakeups } from './redis-wakeups.js';
import type { StateKeys } from './state-keys.js';

/**
 * Frees the claim only if this owner still holds it (after a lapse another
 * replica may own the search now), then tells the waiters.
 * KEYS: claim. ARGV: owner token ('' = not ours: only publish), channel.
 */
const FINISH = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
redis.call('PUBLISH', ARGV[2], '1')
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    relayInflightFinish(claim: string, token: string, channel: string): Result<number, Context>;
  }
}

/**
 * Coalescing of identical searches across replicas (spec §9): the first
 * replica to claim a search (`SET NX PX` with a random owner token) calls
 * Qualys and fills the cache; the others wait for its `finish` (pub/sub),
 * their timer or their abort, then read the cache or call themselves.
 *
 * `claim` and `finish` reject when Redis fails (the fallback in
 * `createLimitStores` answers from this process); `finished` never rejects.
 */
export class RedisInflight implements InflightStore {
  private readonly wakeups: RedisWakeups;
  /** Claim key → this process's owner token and when the claim lapses (ms since the epoch). */
  private readonly owned = new Map<string, { token: string; lapsesAt: number }>();

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: StateKeys,
  ) {
    connection.client.defineCommand('relayInflightFinish', { numberOfKeys: 1, lua: FINISH });
    this.wakeups = new RedisWakeups(connection.subscriber);
  }

  async claim(credentialsId: string, coalesceKey: string, ttlMs: number): Promise<boolean> {
    const key = this.keys.inflightKey(credentialsId, coalesceKey);
    const token = randomUUID();
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const claimed = (await this.connection.client.set(key, token, 'PX', ttl, 'NX')) === 'OK';
    this.forgetLapsedClaims();
    if (claimed) this.owned.set(key, { token, lapsesAt: Date.now() + ttl });
    return claimed;
  }

  async finish(credentialsId: string, coalesceKey: string): Promise<void> {
    const key = this.keys.inflightKey(credentialsId, coalesceKey);
    const channel = this.keys.finishedChannel(credentialsId, coalesceKey);
    const token = this.owned.get(key)?.token ?? '';
    this.owned.delete(key);
    try {
      await this.connection.client.relayInflightFinish(key, token, channel);
    } finally {
      this.wakeups.wake(channel);
    }
  }

  /**
   * Waits for the owner's `finish`. A finish published before this
   * process's SUBSCRIBE took effect would be missed, so once subscribed the
   * claim is looked at: gone (finished or lapsed) wakes the waiters at once.
   */
  finished(
    credentialsId: string,
    coalesceKey: string,
    maxWaitMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const channel = this.keys.finishedChannel(credentialsId, coalesceKey);
    const waiting = this.wakeups.wait(channel, maxWaitMs, signal);
    void this.wakeups.subscribed(channel).then(async (subscribed) => {
      if (!subscribed) return;
      const exists = await this.connection.client
        .exists(this.keys.inflightKey(credentialsId, coalesceKey))
        .catch(() => undefined);
      if (exists === 0) this.wakeups.wake(channel);
    });
    return waiting;
  }

  /** Owners that never called `finish` (a caller bug, a crash mid-call) do not grow the map. */
  private forgetLapsedClaims(): void {
    const now = Date.now();
    for (const [key, claim] of this.owned) {
      if (claim.lapsesAt <= now) this.owned.delete(key);
    }
  }
}
