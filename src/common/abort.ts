/**
 * Abort signals and timers that leave nothing behind. Each helper hands back
 * (or runs) the matching clean-up, so a settled call, wait or sleep holds no
 * listener on a long-lived signal (a request's deadline, a search's) and no
 * timer.
 *
 * Not AbortSignal.timeout()/any(): on Node 20 those stay reachable until
 * their timer fires once a listener was ever added (the transport adds one),
 * about 1 KiB (timeout) to 3 KiB (any) per call for the whole timeout — tens
 * of MB under load (docs/performance.md).
 */

/** A signal and how to detach it from the signals it follows. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  release(): void;
}

/** Node's timers overflow past 2^31 - 1 ms and would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Runs `listener` once when `signal` aborts (not when it already has: the
 * caller checks that first); returns the function that stops listening.
 */
export function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (signal === undefined) return () => undefined;
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/** A controller that aborts with `parent` too; `release` detaches it from `parent`. */
export function followSignal(
  parent?: AbortSignal,
): LinkedSignal & { abort(reason?: unknown): void } {
  const controller = new AbortController();
  const abort = (reason?: unknown): void => controller.abort(reason);
  if (parent?.aborted) {
    abort(parent.reason);
    return { signal: controller.signal, abort, release: () => undefined };
  }
  const release = onAbort(parent, () => abort(parent?.reason));
  return { signal: controller.signal, abort, release };
}

/** The signal of one HTTP call: aborts after `ms`, or when `caller` does. */
export function callSignal(ms: number, caller?: AbortSignal): LinkedSignal {
  const followed = followSignal(caller);
  const timer = setTimeout(
    () => followed.abort(new DOMException('The call timed out', 'TimeoutError')),
    ms,
  );
  return {
    signal: followed.signal,
    release: () => {
      clearTimeout(timer);
      followed.release();
    },
  };
}

/** One signal that aborts when either does. */
export function linkSignals(a: AbortSignal, b?: AbortSignal): LinkedSignal {
  if (b === undefined) return { signal: a, release: () => undefined };
  const followed = followSignal(a);
  if (followed.signal.aborted) return followed;
  if (b.aborted) {
    followed.release();
    followed.abort(b.reason);
    return followed;
  }
  const stopB = onAbort(b, () => followed.abort(b.reason));
  return {
    signal: followed.signal,
    release: () => {
      followed.release();
      stopB();
    },
  };
}

/**
 * `promise`, or the error `abortError` makes as soon as `signal` aborts
 * (`abortError` runs at that moment, so it may read state as it is then).
 */
export function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  abortError: () => Error,
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const stop = onAbort(signal, () => reject(abortError()));
    promise.then(
      (value) => {
        stop();
        resolve(value);
      },
      (error: unknown) => {
        stop();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * Resolves after `ms`, or earlier when `signal` aborts or the returned
 * `wake` runs; never rejects. Every way out clears the timer and the
 * listener, then runs `onEnd` (once, synchronously).
 */
export function wakeableSleep(
  ms: number,
  signal?: AbortSignal,
  onEnd?: () => void,
): { done: Promise<void>; wake: () => void } {
  let wake: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    if (signal?.aborted === true) {
      onEnd?.();
      resolve();
      return;
    }
    let ended = false;
    const timer = setTimeout(finish, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    const stop = onAbort(signal, finish);
    function finish(): void {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      stop();
      onEnd?.();
      resolve();
    }
    wake = finish;
  });
  return { done, wake: () => wake() };
}

/** Waits `ms`, or less when `signal` aborts (the caller's next deadline check then stops). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return wakeableSleep(ms, signal).done;
}
