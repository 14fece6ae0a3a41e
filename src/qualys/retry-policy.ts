import type { LimitRefusal } from './limits/qualys-limits.js';
import { isRetryable, type QualysStatusClass } from './qualys-status.js';

const BASE_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;

/**
 * How long to wait before retry number `attempt` (0-based): what Qualys asks
 * for (`X-RateLimit-ToWait-Sec`, else `Retry-After` in seconds or as a date),
 * else exponential back-off with jitter.
 */
export function retryDelayMs(
  attempt: number,
  headers: Record<string, unknown>,
  now: number = Date.now(),
  random: () => number = Math.random,
): number {
  const toWait = parseSeconds(headers['x-ratelimit-towait-sec']);
  if (toWait !== undefined) return toWait;
  const retryAfter = headers['retry-after'];
  const seconds = parseSeconds(retryAfter);
  if (seconds !== undefined) return seconds;
  if (typeof retryAfter === 'string' && /[a-z]/i.test(retryAfter)) {
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const exponential = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

function parseSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Math.round(Number(text) * 1000);
}

/** An answer as the policy reads it. */
export interface PolicyAnswer {
  statusClass: QualysStatusClass;
  headers: Record<string, unknown>;
  /** Search calls only: why Qualys refused it, when its headers say so. */
  refusal?: LimitRefusal;
}

/** What the caller does after an answer. */
export type NextStep =
  /** The answer stands: use it (success, or the error it means). */
  | { kind: 'done' }
  /** Wait `afterMs`, then call again (one retry used); `forLimits`: the wait is for the rate budget. */
  | { kind: 'retry'; afterMs: number; forLimits: boolean }
  /** Back to the head of the subscription's queue; no retry used (spec §9). */
  | { kind: 'requeue' }
  /** The rate budget is spent: block the subscription for `forMs` (then probe, when `probe`), and fail. */
  | { kind: 'block'; forMs: number; probe: boolean };

export interface PolicyOptions {
  /** `QUALYS_RETRIES`. */
  retries: number;
  now?: number;
  random?: () => number;
}

/** A wait is only worth it when this much time is left after it for the call itself. */
const CALL_ROOM_MS = 100;

/**
 * Spec §7, §9: the next step after answer `attempt` (0-based: the retries
 * used so far) with `remainingMs` of the call's deadline left. A concurrency
 * refusal goes back to the head without using a retry; a rate refusal waits
 * when the wait fits and retries remain (never for a guessed block, which
 * one probe call ends), else blocks the subscription; a 503 or another
 * refusal backs off, unless no retry or no time for it is left.
 */
export function nextStep(
  answer: PolicyAnswer,
  attempt: number,
  remainingMs: number,
  options: PolicyOptions,
): NextStep {
  const { refusal } = answer;
  if (refusal?.kind === 'concurrency') return { kind: 'requeue' };
  if (refusal?.kind === 'rate') {
    const { block } = refusal;
    if (attempt < options.retries && !block.probe && block.forMs + CALL_ROOM_MS < remainingMs)
      return { kind: 'retry', afterMs: block.forMs, forLimits: true };
    return { kind: 'block', forMs: block.forMs, probe: block.probe };
  }
  if (!isRetryable(answer.statusClass) || attempt >= options.retries) return { kind: 'done' };
  const wait = retryDelayMs(attempt, answer.headers, options.now, options.random);
  if (wait + CALL_ROOM_MS >= remainingMs) return { kind: 'done' };
  return { kind: 'retry', afterMs: wait, forLimits: false };
}
