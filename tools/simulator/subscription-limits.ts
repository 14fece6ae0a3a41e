import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';

/** Both spellings exist in the wild; the relay must read both (spec §9). */
export type ConcurrencyHeaderSpelling = 'X-ConcurrencyLimit-*' | 'X-Concurrency-Limit-*';
export const CONCURRENCY_HEADER_SPELLINGS: readonly ConcurrencyHeaderSpelling[] = [
  'X-ConcurrencyLimit-*',
  'X-Concurrency-Limit-*',
];

/** 429 on the gateway APIs, 409 on the classic API (spec §9). */
export type RefusalStatus = 429 | 409;
export const REFUSAL_STATUSES: readonly RefusalStatus[] = [429, 409];

export type RefusalKind = 'concurrency' | 'rate';

/** At most `calls` admitted searches per user in any sliding window of `windowSec` seconds. */
export interface RateLimit {
  calls: number;
  windowSec: number;
}

/** A subscription's limits, as the simulator enforces them; `null` = unlimited. */
export interface SubscriptionLimitSettings {
  concurrencyLimit: number | null;
  rateLimit: RateLimit | null;
  refusalStatus: RefusalStatus;
  concurrencyHeaderSpelling: ConcurrencyHeaderSpelling;
  /** false: answers with no budget left omit `X-RateLimit-ToWait-Sec`. */
  rateRefusalWait: boolean;
}

/** Only the settings it names change; `null` removes a limit. */
export type SubscriptionLimitsPatch = Partial<SubscriptionLimitSettings>;

export const DEFAULT_LIMIT_SETTINGS: Readonly<SubscriptionLimitSettings> = Object.freeze({
  concurrencyLimit: null,
  rateLimit: null,
  refusalStatus: 429,
  concurrencyHeaderSpelling: 'X-ConcurrencyLimit-*',
  rateRefusalWait: true,
});

/** Searches running now and the most seen at once, per user and overall. */
export interface RunningSearches {
  /** Every search in flight, including ones without a valid token (they belong to no user). */
  overall: number;
  byUser: Record<string, number>;
}

export interface LimitStats {
  runningSearches: RunningSearches;
  /** Since the last `resetStats` (which starts it from the searches running then). */
  peakRunningSearches: RunningSearches;
  refusals: Record<RefusalKind, number>;
}

export class LimitSettingsError extends RangeError {
  override readonly name = 'LimitSettingsError';
}

const SETTING_KEYS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_LIMIT_SETTINGS));

/**
 * Checks a patch (from code or from the admin route's JSON) and returns a
 * copy; `undefined` values count as absent. Strict, like fault specs: a typo
 * must fail loudly rather than leave a subscription unlimited.
 */
export function validateLimitsPatch(input: unknown): SubscriptionLimitsPatch {
  if (!isRecord(input)) throw new LimitSettingsError('limits must be a JSON object');
  const patch: SubscriptionLimitsPatch = {};
  for (const [key, value] of Object.entries(input)) {
    if (!SETTING_KEYS.has(key)) throw new LimitSettingsError(`unknown limit setting '${key}'`);
    if (value === undefined) continue;
    switch (key) {
      case 'concurrencyLimit':
        if (value !== null && !isPositiveInteger(value)) {
          throw new LimitSettingsError(`'concurrencyLimit' must be a positive integer or null`);
        }
        patch.concurrencyLimit = value;
        break;
      case 'rateLimit':
        patch.rateLimit = value === null ? null : validRateLimit(value);
        break;
      case 'refusalStatus':
        if (!REFUSAL_STATUSES.includes(value as RefusalStatus)) {
          throw new LimitSettingsError(
            `'refusalStatus' must be one of ${REFUSAL_STATUSES.join(', ')}`,
          );
        }
        patch.refusalStatus = value as RefusalStatus;
        break;
      case 'concurrencyHeaderSpelling':
        if (!CONCURRENCY_HEADER_SPELLINGS.includes(value as ConcurrencyHeaderSpelling)) {
          throw new LimitSettingsError(
            `'concurrencyHeaderSpelling' must be one of ${CONCURRENCY_HEADER_SPELLINGS.join(', ')}`,
          );
        }
        patch.concurrencyHeaderSpelling = value as ConcurrencyHeaderSpelling;
        break;
      case 'rateRefusalWait':
        if (typeof value !== 'boolean') {
          throw new LimitSettingsError(`'rateRefusalWait' must be a boolean`);
        }
        patch.rateRefusalWait = value;
        break;
    }
  }
  return patch;
}

function validRateLimit(value: unknown): RateLimit {
  const message =
    `'rateLimit' must be {"calls": <positive integer>, "windowSec": <positive integer>}` +
    ' or null';
  if (!isRecord(value)) throw new LimitSettingsError(message);
  const keys = Object.keys(value);
  const { calls, windowSec } = value;
  if (keys.length !== 2 || !isPositiveInteger(calls) || !isPositiveInteger(windowSec)) {
    throw new LimitSettingsError(message);
  }
  return { calls, windowSec };
}

/** Epoch milliseconds from the monotonic clock: a wall-clock step never bends a window. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A Qualys subscription's concurrency limit and sliding rate window (spec
 * §9), per user: the simulator serves one API URL, so a user is a
 * subscription. Times are passed in (epoch ms), so one arrival time serves
 * the decision, the headers and the search log.
 */
export class SubscriptionLimits {
  private settings: SubscriptionLimitSettings;
  private readonly running = new Map<string, number>();
  private runningOverall = 0;
  private readonly peakByUser = new Map<string, number>();
  private peakOverall = 0;
  private refusals: Record<RefusalKind, number> = { concurrency: 0, rate: 0 };
  private readonly windows = new Map<string, CallWindow>();

  constructor(patch: SubscriptionLimitsPatch = {}) {
    this.settings = { ...DEFAULT_LIMIT_SETTINGS };
    this.update(patch);
  }

  /** A copy of the settings in force. */
  get current(): SubscriptionLimitSettings {
    const { rateLimit } = this.settings;
    return { ...this.settings, rateLimit: rateLimit === null ? null : { ...rateLimit } };
  }

  /**
   * Validates and applies a patch; answers the settings in force. Naming
   * `rateLimit` (even unchanged) starts every user's window afresh; searches
   * already running keep counting against a changed concurrency limit.
   */
  update(patch: SubscriptionLimitsPatch): SubscriptionLimitSettings {
    const valid = validateLimitsPatch(patch);
    if ('rateLimit' in valid) this.windows.clear();
    this.settings = { ...this.settings, ...valid };
    return this.current;
  }

  /**
   * Decides on a search arriving at `now`. Admitted: it counts as running
   * until `release` and spends one call of the window. Refused: neither.
   * A search without a valid token (`user` undefined) belongs to no
   * subscription and is never refused. Concurrency is checked first, so a
   * search refused for it spends nothing.
   */
  admit(user: string | undefined, now: number): RefusalKind | undefined {
    if (user !== undefined) {
      const { concurrencyLimit, rateLimit } = this.settings;
      if (concurrencyLimit !== null && this.runningOf(user) >= concurrencyLimit) {
        this.refusals.concurrency++;
        return 'concurrency';
      }
      if (rateLimit !== null) {
        const window = this.windowOf(user);
        if (window.count(now, rateLimit.windowSec * 1000) >= rateLimit.calls) {
          this.refusals.rate++;
          return 'rate';
        }
        window.add(now);
      }
      const running = this.runningOf(user) + 1;
      this.running.set(user, running);
      this.peakByUser.set(user, Math.max(this.peakByUser.get(user) ?? 0, running));
    }
    this.runningOverall++;
    this.peakOverall = Math.max(this.peakOverall, this.runningOverall);
    return undefined;
  }

  /** An admitted search's response ended. */
  release(user: string | undefined): void {
    this.runningOverall--;
    if (user === undefined) return;
    const running = this.runningOf(user) - 1;
    // Deleted at zero: memory stays flat however many users come and go.
    if (running > 0) this.running.set(user, running);
    else this.running.delete(user);
  }

  /**
   * The headers of spec §9 for an answer to `user` at `now`: every search
   * answer carries them, refusals included. Without a user only the
   * subscription-wide values apply (limits and window, not what is left).
   * `X-RateLimit-ToWait-Sec` goes with every answer that leaves no budget:
   * the seconds until the oldest call leaves the window, rounded up.
   */
  headers(user: string | undefined, now: number): OutgoingHttpHeaders {
    const { concurrencyLimit, rateLimit, concurrencyHeaderSpelling } = this.settings;
    const headers: OutgoingHttpHeaders = {};
    if (rateLimit !== null) {
      headers['X-RateLimit-Limit'] = String(rateLimit.calls);
      headers['X-RateLimit-Window-Sec'] = String(rateLimit.windowSec);
      if (user !== undefined) {
        const windowMs = rateLimit.windowSec * 1000;
        const window = this.windows.get(user);
        const used = window?.count(now, windowMs) ?? 0;
        const remaining = Math.max(0, rateLimit.calls - used);
        headers['X-RateLimit-Remaining'] = String(remaining);
        if (remaining === 0 && window !== undefined && this.settings.rateRefusalWait) {
          const waitMs = window.oldest() + windowMs - now;
          headers['X-RateLimit-ToWait-Sec'] = String(Math.ceil(waitMs / 1000));
        }
      }
    }
    if (concurrencyLimit !== null) {
      const prefix = concurrencyHeaderSpelling.slice(0, -1);
      headers[`${prefix}Limit`] = String(concurrencyLimit);
      if (user !== undefined) headers[`${prefix}Running`] = String(this.runningOf(user));
    }
    return headers;
  }

  /** Status and text body of a refusal. */
  refusal(kind: RefusalKind): { status: RefusalStatus; body: string } {
    const { refusalStatus, concurrencyLimit, rateLimit } = this.settings;
    const reason =
      kind === 'concurrency'
        ? `concurrency limit of ${concurrencyLimit} calls reached`
        : `rate limit of ${rateLimit?.calls} calls per ${rateLimit?.windowSec} seconds reached`;
    return { status: refusalStatus, body: `${STATUS_CODES[refusalStatus]}: ${reason}` };
  }

  stats(): LimitStats {
    return {
      runningSearches: { overall: this.runningOverall, byUser: Object.fromEntries(this.running) },
      peakRunningSearches: {
        overall: this.peakOverall,
        byUser: Object.fromEntries(this.peakByUser),
      },
      refusals: { ...this.refusals },
    };
  }

  /** Clears the counters; peaks start again from the searches running now. */
  resetStats(): void {
    this.refusals = { concurrency: 0, rate: 0 };
    this.peakOverall = this.runningOverall;
    this.peakByUser.clear();
    for (const [user, running] of this.running) this.peakByUser.set(user, running);
  }

  private runningOf(user: string): number {
    return this.running.get(user) ?? 0;
  }

  private windowOf(user: string): CallWindow {
    let window = this.windows.get(user);
    if (window === undefined) {
      window = new CallWindow();
      this.windows.set(user, window);
    }
    return window;
  }
}

/** Admission times of one user's calls, oldest first; never more than the limit's `calls`. */
class CallWindow {
  private times: number[] = [];
  private head = 0;

  /** Calls still inside a window of `windowMs` ending at `now`; older ones are dropped. */
  count(now: number, windowMs: number): number {
    while (this.head < this.times.length && this.times[this.head] + windowMs <= now) this.head++;
    // Compacted now and then rather than shifted on every call: O(1) amortised.
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  add(now: number): void {
    this.times.push(now);
  }

  /** Admission time of the oldest call counted; call only when `count` is positive. */
  oldest(): number {
    return this.times[this.head];
  }
}

function isPositiveInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
