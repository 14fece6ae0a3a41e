import { STATUS_CODES, validateHeaderName, validateHeaderValue } from 'node:http';

export type FaultTarget = 'auth' | 'search';

export type FaultKind =
  | 'status'
  | 'malformed-json'
  | 'json-object'
  | 'huge-body'
  | 'gzip-bomb'
  | 'endless-body'
  | 'hang'
  | 'reset'
  | 'echo-request';

/** Narrows a search fault to some searches; not allowed on auth faults. */
export interface FaultMatch {
  /** true: only `state=true` searches; false: only historical searches. */
  active?: boolean;
  /** Only searches whose `filter` contains this text. */
  filterIncludes?: string;
}

/**
 * A misbehaviour the simulator shows instead of its normal answer.
 *
 * - `status`: that status (200–599) with `body` (default: the reason phrase as
 *   text, or the Qualys credentials error JSON for a 401 on auth) and `headers`.
 * - `malformed-json`: 200, `application/json`, truncated JSON (or `body`).
 * - `json-object`: 200, a JSON object where an array is expected (or `body`).
 * - `huge-body`: 200, a valid JSON array of about 50 MiB, streamed.
 * - `gzip-bomb`: 200, `Content-Encoding: gzip`, a JSON array of empty objects
 *   (`[{},{},…]`): about 4 KiB on the wire, 4 MiB and 1.4 million events
 *   decoded — within any sane size cap, far more events than a page holds.
 * - `endless-body`: 200, a JSON array that never ends: one chunk every
 *   `chunkIntervalMs` (default 10) until the client goes away.
 * - `hang`: never answers.
 * - `reset`: resets the TCP connection (the client sees ECONNRESET).
 * - `echo-request`: `status` (default 502) with a text body that echoes the
 *   request as a careless proxy's error page does: its `Authorization`
 *   header, the Qualys user it stands for (the `/auth` form's username, or
 *   the owner of the search's token) and its body (the `/auth` form, password
 *   included). The relay must quote none of it back (spec §7).
 *
 * `times` limits the fault to the next N matching requests; without it the
 * fault stays until cleared.
 */
export interface FaultSpec {
  on: FaultTarget;
  kind: FaultKind;
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  times?: number;
  match?: FaultMatch;
  chunkIntervalMs?: number;
}

/** What a fault can be matched against. */
export interface FaultContext {
  on: FaultTarget;
  active: boolean;
  filter: string;
}

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

const TARGETS: readonly string[] = ['auth', 'search'] satisfies FaultTarget[];
const KINDS: readonly string[] = [
  'status',
  'malformed-json',
  'json-object',
  'huge-body',
  'gzip-bomb',
  'endless-body',
  'hang',
  'reset',
  'echo-request',
] satisfies FaultKind[];
const KNOWN_KEYS = new Set([
  'on',
  'kind',
  'status',
  'body',
  'headers',
  'times',
  'match',
  'chunkIntervalMs',
]);
const KINDS_WITH_BODY = new Set(['status', 'malformed-json', 'json-object']);
const KINDS_WITHOUT_RESPONSE = new Set(['hang', 'reset']);

/**
 * Checks a spec (from code or from the admin endpoint's JSON) and returns a
 * copy. Strict on purpose: a typo in a bench script must fail loudly rather
 * than inject a different fault than intended.
 */
export function validateFaultSpec(input: unknown): FaultSpec {
  if (!isRecord(input)) throw new FaultSpecError('a fault must be a JSON object');
  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new FaultSpecError(`unknown fault property '${key}'`);
    }
  }
  const { on, kind } = input;
  if (typeof on !== 'string' || !TARGETS.includes(on)) {
    throw new FaultSpecError(`'on' must be one of ${TARGETS.join(', ')}`);
  }
  if (typeof kind !== 'string' || !KINDS.includes(kind)) {
    throw new FaultSpecError(`'kind' must be one of ${KINDS.join(', ')}`);
  }
  const spec: FaultSpec = { on: on as FaultTarget, kind: kind as FaultKind };

  if (kind === 'status') spec.status = validStatus(input.status);
  else if (kind === 'echo-request' && input.status !== undefined) {
    spec.status = validStatus(input.status);
  } else if (input.status !== undefined) {
    throw new FaultSpecError(`'status' needs kind 'status' or 'echo-request'`);
  }

  if (input.body !== undefined) {
    if (!KINDS_WITH_BODY.has(kind)) throw new FaultSpecError(`'body' is not used by '${kind}'`);
    if (typeof input.body !== 'string') throw new FaultSpecError(`'body' must be a string`);
    spec.body = input.body;
  }
  if (input.headers !== undefined) {
    if (KINDS_WITHOUT_RESPONSE.has(kind)) {
      throw new FaultSpecError(`'headers' are not used by '${kind}'`);
    }
    spec.headers = validHeaders(input.headers);
  }
  if (input.times !== undefined) {
    if (!isPositiveInteger(input.times))
      throw new FaultSpecError(`'times' must be a positive integer`);
    spec.times = input.times;
  }
  if (input.match !== undefined) {
    // Auth requests carry no filter or state, so a match could never be evaluated.
    if (on !== 'search') throw new FaultSpecError(`'match' applies only to search faults`);
    spec.match = validMatch(input.match);
  }
  if (input.chunkIntervalMs !== undefined) {
    if (kind !== 'endless-body') {
      throw new FaultSpecError(`'chunkIntervalMs' needs kind 'endless-body'`);
    }
    if (!Number.isInteger(input.chunkIntervalMs) || (input.chunkIntervalMs as number) < 0) {
      throw new FaultSpecError(`'chunkIntervalMs' must be a non-negative integer`);
    }
    spec.chunkIntervalMs = input.chunkIntervalMs as number;
  }
  return spec;
}

/** Default body of a `status` fault without `body`. */
export function defaultStatusBody(on: FaultTarget, status: number): string {
  if (on === 'auth' && status === 401) {
    return JSON.stringify({ authentication_exceptions: ['InvalidCredentialsException'] });
  }
  return STATUS_CODES[status] ?? `HTTP ${status}`;
}

/** Active faults, evaluated in insertion order; a `times`-limited one is used up as it fires. */
export class FaultBook {
  private entries: { spec: FaultSpec; remaining: number }[] = [];

  add(spec: FaultSpec): void {
    this.entries.push({ spec, remaining: spec.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.entries = [];
  }

  get size(): number {
    return this.entries.length;
  }

  /** The first fault matching the request, consuming one use of it. */
  take(context: FaultContext): FaultSpec | undefined {
    const index = this.entries.findIndex(({ spec }) => faultMatches(spec, context));
    if (index < 0) return undefined;
    const entry = this.entries[index];
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.entries.splice(index, 1);
    return entry.spec;
  }
}

function faultMatches(spec: FaultSpec, context: FaultContext): boolean {
  if (spec.on !== context.on) return false;
  const { active, filterIncludes } = spec.match ?? {};
  if (active !== undefined && active !== context.active) return false;
  return filterIncludes === undefined || context.filter.includes(filterIncludes);
}

/** What `randomFaultRate` injects: Qualys's throttling, outage and crash answers. */
export const RANDOM_FAULT_STATUSES = [429, 503, 500] as const;

export function randomStatusFault(random: () => number): FaultSpec {
  const status = RANDOM_FAULT_STATUSES[Math.floor(random() * RANDOM_FAULT_STATUSES.length)];
  // Real Qualys throttling says how long to wait; keep it short so benchmarks stay fast.
  const headers: Record<string, string> = status === 429 ? { 'X-RateLimit-ToWait-Sec': '1' } : {};
  return { on: 'search', kind: 'status', status, headers };
}

function validStatus(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 200 || (value as number) > 599) {
    throw new FaultSpecError(`'status' must be an integer from 200 to 599`);
  }
  return value as number;
}

function validHeaders(value: unknown): Record<string, string> {
  if (!isRecord(value)) throw new FaultSpecError(`'headers' must be an object of strings`);
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    if (typeof headerValue !== 'string') {
      throw new FaultSpecError(`header '${name}' must be a string`);
    }
    // Checked now, so a bad header fails the injection instead of the later response.
    try {
      validateHeaderName(name);
      validateHeaderValue(name, headerValue);
    } catch {
      throw new FaultSpecError(`header '${name}' is not a valid HTTP header`);
    }
    headers[name] = headerValue;
  }
  return headers;
}

function validMatch(value: unknown): FaultMatch {
  if (!isRecord(value)) throw new FaultSpecError(`'match' must be an object`);
  const match: FaultMatch = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'active' && typeof item === 'boolean') match.active = item;
    else if (key === 'filterIncludes' && typeof item === 'string') match.filterIncludes = item;
    else throw new FaultSpecError(`'match.${key}' is not a valid match criterion`);
  }
  return match;
}

function isPositiveInteger(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
