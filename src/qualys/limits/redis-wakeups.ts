import type { RedisClient } from './redis-clients.js';
import { Waiters } from './waiters.js';

/**
 * Waits for a pub/sub message on a channel, over the one shared subscriber
 * connection: a channel is subscribed while someone in this process waits
 * on it and unsubscribed when the last waiter is gone. A failed SUBSCRIBE
 * (Redis down) leaves the waiters their timer and abort signal.
 */
export class RedisWakeups {
  private readonly waiters: Waiters;
  /** Channel → its SUBSCRIBE settled (true when Redis confirmed it). */
  private readonly subscriptions = new Map<string, Promise<boolean>>();

  constructor(private readonly subscriber: RedisClient) {
    this.waiters = new Waiters({
      onFirst: (channel) => this.subscribe(channel),
      onLast: (channel) => this.unsubscribe(channel),
    });
    subscriber.on('message', (channel: string) => this.waiters.wake(channel));
  }

  wait(channel: string, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    return this.waiters.wait(channel, maxWaitMs, signal);
  }

  /** Wakes this process's waiters at once, without the round trip through Redis. */
  wake(channel: string): void {
    this.waiters.wake(channel);
  }

  /** True once messages on `channel` reach this process (false: not subscribed, or it failed). */
  subscribed(channel: string): Promise<boolean> {
    return this.subscriptions.get(channel) ?? Promise.resolve(false);
  }

  private subscribe(channel: string): void {
    this.subscriptions.set(
      channel,
      this.subscriber.subscribe(channel).then(
        () => true,
        () => false,
      ),
    );
  }

  private unsubscribe(channel: string): void {
    this.subscriptions.delete(channel);
    this.subscriber.unsubscribe(channel).catch(() => undefined);
  }
}
