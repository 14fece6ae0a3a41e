import { onAbort } from '../../common/abort.js';

/** The caller stopped waiting for memory (its signal aborted). */
export class MemoryWaitAbortedError extends Error {
  override readonly name = 'MemoryWaitAbortedError';
  constructor() {
    super('stopped waiting for the relay memory budget');
  }
}

interface Waiter {
  readonly bytes: number;
  resolve(): void;
  reject(error: Error): void;
  stopListening?: () => void;
}

/**
 * Spec §15 "memory in flight": the decoded bytes of Qualys answers being
 * read or held, and of relay answers being built, process-wide
 * (`RELAY_MEMORY_BUDGET_MB`). A Qualys call waits for room before it is
 * sent, as it waits for a slot; bytes that already exist (an answer read,
 * an observable mapped) are charged at once, and while that leaves the
 * budget over its limit no new call starts.
 *
 * Waiters are served first come, first served: searches of a request claim
 * room in request order, so the observables an answer is built from first
 * are never stuck behind later ones holding the room.
 */
export class MemoryBudget {
  private usedBytes = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly limitBytes: number) {}

  get used(): number {
    return this.usedBytes;
  }

  /**
   * Waits for room for `bytes`, then holds them. A claim larger than the
   * whole budget waits until nothing else is held. Rejects with
   * `MemoryWaitAbortedError` when `signal` aborts first.
   */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new MemoryWaitAbortedError());
    if (this.waiters.length === 0 && this.fits(bytes)) {
      this.usedBytes += bytes;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes, resolve, reject };
      waiter.stopListening = onAbort(signal, () => this.abandon(waiter));
      this.waiters.push(waiter);
    });
  }

  /** Holds `bytes` that exist already, past the limit if need be. */
  force(bytes: number): void {
    this.usedBytes += bytes;
  }

  /** Gives `bytes` back; waiters that now fit go, in order. */
  give(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
    while (this.waiters.length > 0 && this.fits(this.waiters[0].bytes)) {
      const waiter = this.waiters.shift() as Waiter;
      this.usedBytes += waiter.bytes;
      waiter.stopListening?.();
      waiter.resolve();
    }
  }

  private fits(bytes: number): boolean {
    return this.usedBytes + bytes <= this.limitBytes || this.usedBytes === 0;
  }

  private abandon(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index < 0) return;
    this.waiters.splice(index, 1);
    waiter.reject(new MemoryWaitAbortedError());
    // The head may have been the one that did not fit: the next ones might.
    if (index === 0) this.give(0);
  }
}
