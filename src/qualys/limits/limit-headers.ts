/**
 * Spec §9: what a Qualys answer says about the subscription's limits. Header
 * values are untrusted input: each is clamped to a sane range and ignored
 * when it does not parse, so a broken or hostile answer cannot stall the
 * relay for a day, nor raise one subscription's concurrency past
 * `QUALYS_SUBSCRIPTION_CONCURRENCY_MAX` and so take the other subscriptions'
 * share of the process (spec §15).
 */
export interface LimitHeaders {
  /** Concurrent calls the subscription allows, clamped to 1…`maxConcurrency`. */
  concurrencyLimit?: number;
  /** Calls of the subscription running at Qualys when it answered. */
  concurrencyRunning?: number;
  /** Length of the rate window, seconds (1…3600). */
  windowSec?: number;
  /** Calls left in the window, ≥ 0. */
  remaining?: number;
  /** Seconds until a call may be sent again, clamped to 0…`windowSec` (or 3600). */
  toWaitSec?: number;
}

/** Longest wait or window the relay believes: Qualys's documented window is one hour. */
const MAX_WINDOW_SEC = 3600;

type HeaderBag = Record<string, unknown> | { get(name: string): unknown };

function header(headers: HeaderBag, name: string): unknown {
  return typeof headers.get === 'function'
    ? (headers as { get(name: string): unknown }).get(name)
    : (headers as Record<string, unknown>)[name];
}

/** A non-negative integer, or undefined when the value is absent or not one. */
function count(value: unknown): number | undefined {
  const text: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const trimmed = String(text).trim();
  if (!/^\d{1,12}$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

const clamp = (value: number, min: number, max: number): number =>
  Math.min(max, Math.max(min, value));

/** Reads both spellings of the concurrency headers (`X-ConcurrencyLimit-*`, `X-Concurrency-Limit-*`). */
export function readLimitHeaders(headers: HeaderBag, maxConcurrency: number): LimitHeaders {
  const limit =
    count(header(headers, 'x-concurrencylimit-limit')) ??
    count(header(headers, 'x-concurrency-limit-limit'));
  const running =
    count(header(headers, 'x-concurrencylimit-running')) ??
    count(header(headers, 'x-concurrency-limit-running'));
  const window = count(header(headers, 'x-ratelimit-window-sec'));
  const windowSec =
    window === undefined || window === 0 ? undefined : Math.min(window, MAX_WINDOW_SEC);
  const remaining = count(header(headers, 'x-ratelimit-remaining'));
  const toWait = count(header(headers, 'x-ratelimit-towait-sec'));
  const result: LimitHeaders = {};
  if (limit !== undefined && limit > 0) result.concurrencyLimit = clamp(limit, 1, maxConcurrency);
  if (running !== undefined) result.concurrencyRunning = running;
  if (windowSec !== undefined) result.windowSec = windowSec;
  if (remaining !== undefined) result.remaining = remaining;
  if (toWait !== undefined) result.toWaitSec = clamp(toWait, 0, windowSec ?? MAX_WINDOW_SEC);
  return result;
}

/** Why Qualys refused a call (429, or 409 on the classic API), spec §9. */
export type RefusalKind = 'concurrency' | 'rate' | 'other';

/** What a refused call ran into, as the policy acts on it (retry-policy.ts). */
export type LimitRefusal =
  { kind: 'concurrency' } | { kind: 'rate'; block: { forMs: number; probe: boolean } };

/** The kind of a refusal (a `rate_limited` answer, `qualys-status.ts`), from its headers. */
export function refusalKind(limits: LimitHeaders): RefusalKind {
  const { concurrencyLimit, concurrencyRunning } = limits;
  if (
    concurrencyLimit !== undefined &&
    concurrencyRunning !== undefined &&
    concurrencyRunning >= concurrencyLimit
  ) {
    return 'concurrency';
  }
  if (limits.toWaitSec !== undefined || limits.remaining === 0) return 'rate';
  return 'other';
}

/**
 * How long a spent budget blocks the subscription: the wait Qualys gave, or,
 * without one, a guess — min(window, 60 s) — after which one probe call
 * finds out (spec §9).
 */
export function budgetBlock(limits: LimitHeaders): { forMs: number; probe: boolean } {
  if (limits.toWaitSec !== undefined) return { forMs: limits.toWaitSec * 1000, probe: false };
  return { forMs: Math.min(limits.windowSec ?? 60, 60) * 1000, probe: true };
}
