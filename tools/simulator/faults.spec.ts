import { describe, expect, it } from '@jest/globals';
import {
  defaultStatusBody,
  FaultBook,
  FaultSpecError,
  randomStatusFault,
  validateFaultSpec,
  type FaultContext,
} from './faults.js';
import { createPrng } from './prng.js';

const ACTIVE_SEARCH: FaultContext = { on: 'search', active: true, filter: 'file.name: "a"' };

describe('validateFaultSpec', () => {
  it('returns a clean copy of a valid spec', () => {
    const input = {
      on: 'search',
      kind: 'status',
      status: 429,
      body: 'slow down',
      headers: { 'Retry-After': '2' },
      times: 3,
      match: { active: false, filterIncludes: 'sha256' },
    };
    const spec = validateFaultSpec(input);
    expect(spec).toEqual(input);
    expect(spec).not.toBe(input);
  });

  it('accepts echo-request with or without a status', () => {
    expect(validateFaultSpec({ on: 'auth', kind: 'echo-request' })).toEqual({
      on: 'auth',
      kind: 'echo-request',
    });
    expect(validateFaultSpec({ on: 'search', kind: 'echo-request', status: 401 })).toEqual({
      on: 'search',
      kind: 'echo-request',
      status: 401,
    });
  });

  it('accepts chunkIntervalMs on endless-body', () => {
    expect(validateFaultSpec({ on: 'search', kind: 'endless-body', chunkIntervalMs: 0 })).toEqual({
      on: 'search',
      kind: 'endless-body',
      chunkIntervalMs: 0,
    });
  });

  it.each([
    [null, 'a fault must be a JSON object'],
    [[], 'a fault must be a JSON object'],
    [{ on: 'search', kind: 'hang', time: 1 }, "unknown fault property 'time'"],
    [{ on: 'token', kind: 'hang' }, "'on' must be one of auth, search"],
    [
      { on: 'search', kind: 'slow' },
      "'kind' must be one of status, malformed-json, json-object, huge-body, gzip-bomb, endless-body, hang, reset, echo-request",
    ],
    [{ on: 'search', kind: 'status' }, "'status' must be an integer from 200 to 599"],
    [{ on: 'search', kind: 'status', status: 600 }, "'status' must be an integer from 200 to 599"],
    [{ on: 'search', kind: 'hang', status: 500 }, "'status' needs kind 'status' or 'echo-request'"],
    [{ on: 'search', kind: 'huge-body', body: 'x' }, "'body' is not used by 'huge-body'"],
    [{ on: 'search', kind: 'status', status: 500, body: 5 }, "'body' must be a string"],
    [{ on: 'search', kind: 'reset', headers: {} }, "'headers' are not used by 'reset'"],
    [
      { on: 'search', kind: 'status', status: 500, headers: { 'Bad Name': 'x' } },
      "header 'Bad Name' is not a valid HTTP header",
    ],
    [
      { on: 'search', kind: 'status', status: 500, headers: { 'X-A': 'a\r\nX-B: b' } },
      "header 'X-A' is not a valid HTTP header",
    ],
    [
      { on: 'search', kind: 'status', status: 500, headers: { 'X-A': 1 } },
      "header 'X-A' must be a string",
    ],
    [{ on: 'search', kind: 'hang', times: 0 }, "'times' must be a positive integer"],
    [{ on: 'search', kind: 'hang', times: 1.5 }, "'times' must be a positive integer"],
    [
      { on: 'auth', kind: 'hang', match: { active: true } },
      "'match' applies only to search faults",
    ],
    [
      { on: 'search', kind: 'hang', match: { state: true } },
      "'match.state' is not a valid match criterion",
    ],
    [
      { on: 'search', kind: 'hang', match: { active: 'yes' } },
      "'match.active' is not a valid match criterion",
    ],
    [
      { on: 'search', kind: 'hang', chunkIntervalMs: 5 },
      "'chunkIntervalMs' needs kind 'endless-body'",
    ],
    [
      { on: 'search', kind: 'endless-body', chunkIntervalMs: -1 },
      "'chunkIntervalMs' must be a non-negative integer",
    ],
  ])('refuses %j', (input, message) => {
    expect(() => validateFaultSpec(input)).toThrow(new FaultSpecError(message));
  });
});

describe('FaultBook', () => {
  it('returns nothing when empty or when nothing matches', () => {
    const book = new FaultBook();
    expect(book.take(ACTIVE_SEARCH)).toBeUndefined();
    book.add({ on: 'auth', kind: 'hang' });
    book.add({ on: 'search', kind: 'hang', match: { active: false } });
    book.add({ on: 'search', kind: 'hang', match: { filterIncludes: 'handle.name' } });
    expect(book.take(ACTIVE_SEARCH)).toBeUndefined();
    expect(book.size).toBe(3);
  });

  it('uses up times-limited faults in insertion order and keeps persistent ones', () => {
    const book = new FaultBook();
    book.add({ on: 'search', kind: 'status', status: 503, times: 2 });
    book.add({ on: 'search', kind: 'status', status: 500 });
    const statuses = Array.from({ length: 4 }, () => book.take(ACTIVE_SEARCH)?.status);
    expect(statuses).toEqual([503, 503, 500, 500]);
    expect(book.size).toBe(1);
    book.clear();
    expect(book.take(ACTIVE_SEARCH)).toBeUndefined();
  });

  it('matches on state and filter text together', () => {
    const book = new FaultBook();
    book.add({ on: 'search', kind: 'reset', match: { active: true, filterIncludes: '"a"' } });
    expect(book.take({ ...ACTIVE_SEARCH, active: false })).toBeUndefined();
    expect(book.take({ ...ACTIVE_SEARCH, filter: 'file.name: "b"' })).toBeUndefined();
    expect(book.take(ACTIVE_SEARCH)?.kind).toBe('reset');
  });
});

describe('defaultStatusBody', () => {
  it('uses the Qualys credentials error for 401 on auth and the reason phrase otherwise', () => {
    expect(defaultStatusBody('auth', 401)).toBe(
      '{"authentication_exceptions":["InvalidCredentialsException"]}',
    );
    expect(defaultStatusBody('search', 401)).toBe('Unauthorized');
    expect(defaultStatusBody('search', 503)).toBe('Service Unavailable');
    expect(defaultStatusBody('search', 599)).toBe('HTTP 599');
  });
});

describe('randomStatusFault and createPrng', () => {
  it('draws reproducibly from 429, 503 and 500, with a wait header on 429', () => {
    const draw = (seed: number) => {
      const random = createPrng(seed);
      return Array.from({ length: 12 }, () => randomStatusFault(random));
    };
    const faults = draw(42);
    expect(draw(42)).toEqual(faults);
    expect(new Set(faults.map((fault) => fault.status))).toEqual(new Set([429, 503, 500]));
    for (const fault of faults) {
      expect(fault.headers).toEqual(fault.status === 429 ? { 'X-RateLimit-ToWait-Sec': '1' } : {});
    }
  });

  it('yields numbers in [0, 1)', () => {
    const random = createPrng(0);
    const values = Array.from({ length: 1000 }, random);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(new Set(values).size).toBe(1000);
  });
});
