import { wakeableSleep } from '../../common/abort.js';

/**
 * Callers waiting for a named event (a released slot, a finished search),
 * each until the event, its own timer or its abort signal, whichever comes
 * first. A wait never rejects, and every path clears its timer and removes
 * its abort listener (`wakeableSleep`), so thousands of waits leave nothing
 * behind.
 *
 * `onFirst` / `onLast` run when a key gains its first waiter and loses its
 * last one: the Redis stores subscribe and unsubscribe their channel there.
 */
export class Waiters {
  private readonly byKey = new Map<string, Set<() => void>>();

  constructor(
    private readonly hooks: {
      onFirst?: (key: string) => void;
      onLast?: (key: string) => void;
    } = {},
  ) {}

  wait(key: string, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true || maxWaitMs <= 0) return Promise.resolve();
    let waiting = this.byKey.get(key);
    const first = waiting === undefined;
    if (waiting === undefined) {
      waiting = new Set();
      this.byKey.set(key, waiting);
    }
    const sleeping = wakeableSleep(maxWaitMs, signal, () => {
      const current = this.byKey.get(key);
      if (current?.delete(sleeping.wake) === true && current.size === 0) {
        this.byKey.delete(key);
        this.hooks.onLast?.(key);
      }
    });
    waiting.add(sleeping.wake);
    if (first) this.hooks.onFirst?.(key);
    return sleeping.done;
  }

  /** Resolves every current waiter of `key`. */
  wake(key: string): void {
    const waiting = this.byKey.get(key);
    if (waiting === undefined) return;
    for (const wake of [...waiting]) wake();
  }
}
