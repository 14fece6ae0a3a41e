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
