import { describe, expect, it } from '@jest/globals';
import {
  MAX_LOGGED_PATH_BYTES,
  REDACT_PATHS,
  loggedPath,
  scrubString,
  scrubValue,
  serializeError,
} from './redaction.js';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoicmVsYXktZGVtbyIsInBhc3MiOiJzZWNyZXQifQ.c2lnbmF0dXJlLXBhcnQtaGVyZQ';

describe('scrubString', () => {
  it.each([
    [`token ${JWT} leaked`, 'token [REDACTED] leaked'],
    ['Authorization: Bearer sim-0123456789abcdef', 'Authorization: Bearer [REDACTED]'],
    ['basic dXNlcjpwYXNz', 'basic [REDACTED]'],
    [
      'username=relay-demo&password=Sim%26ulat%3Dor&token=true',
      'username=relay-demo&password=[REDACTED]&token=[REDACTED]',
    ],
    ['nothing secret here', 'nothing secret here'],
  ])('scrubs %j', (input, expected) => {
    expect(scrubString(input)).toBe(expected);
  });
});

describe('scrubString on hostile text (spec §15: linear)', () => {
  it.each([
    ['eyJ repeated without a dot', 'eyJ'.repeat(44_000)],
    ['JWT headers without the rest', 'eyJhbGciOi.'.repeat(12_000)],
    ['Bearer followed by blanks', `Bearer${' '.repeat(131_072)}"`],
    ['password= repeated', 'password='.repeat(14_600)],
  ])('scrubs %s (128 KB) in well under a second', (_name, text) => {
    expect(text.length).toBeGreaterThanOrEqual(128 * 1024);
    const started = performance.now();
    scrubString(text);
    // Generous: the backtracking JWT pattern took seconds on the first input.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('loggedPath', () => {
  it('scrubs a path that fits whole', () => {
    expect(loggedPath(`/observe/${JWT}`)).toBe('/observe/[REDACTED]');
  });

  it('keeps the first 1 KiB only, without its partial last segment', () => {
    const path = `/a/${'b'.repeat(1000)}/${JWT}`;
    expect(loggedPath(path)).toBe(`/a/${'b'.repeat(1000)}/…`);
    expect(loggedPath(`/${'eyJ'.repeat(22_000)}`)).toBe('/…');
    expect(loggedPath(`/${'x'.repeat(MAX_LOGGED_PATH_BYTES - 1)}`)).toBe(
      `/${'x'.repeat(MAX_LOGGED_PATH_BYTES - 1)}`,
    );
  });
});

describe('scrubValue', () => {
  it('redacts secret keys at any depth and scrubs free text, leaving the rest', () => {
    expect(
      scrubValue({
        msg: `got ${JWT}`,
        context: {
          credentials: { user: 'u', pass: 'p' },
          apiUrl: 'https://gateway.qg2.apps.qualys.com',
        },
        headers: [{ Authorization: 'Bearer abc' }, { accept: 'application/json' }],
        count: 3,
      }),
    ).toEqual({
      msg: 'got [REDACTED]',
      context: { credentials: '[REDACTED]', apiUrl: 'https://gateway.qg2.apps.qualys.com' },
      headers: [{ Authorization: '[REDACTED]' }, { accept: 'application/json' }],
      count: 3,
    });
  });

  it('leaves non-plain objects to their serializers', () => {
    const error = new Error('boom');
    expect(scrubValue({ err: error })).toEqual({ err: error });
    expect((scrubValue({ err: error }) as { err: unknown }).err).toBe(error);
  });
});

describe('serializeError', () => {
  it("keeps type, message, code and stack only — never an Axios error's config or response", () => {
    const error = Object.assign(new Error(`request failed: Bearer sim-abc`), {
      code: 'ECONNRESET',
      config: { headers: { Authorization: 'Bearer sim-abc' } },
      response: { data: 'x' },
    });
    const serialized = serializeError(error) as Record<string, unknown>;
    expect(Object.keys(serialized).sort()).toEqual(['code', 'message', 'stack', 'type']);
    expect(serialized).toMatchObject({
      type: 'Error',
      message: 'request failed: Bearer [REDACTED]',
      code: 'ECONNRESET',
    });
    expect(serialized.stack).toMatch(/^Error: request failed: Bearer \[REDACTED]\n/);
  });

  it('scrubs a plain object logged as an error', () => {
    expect(serializeError({ name: 'X', message: `jwt ${JWT}` })).toEqual({
      name: 'X',
      message: 'jwt [REDACTED]',
    });
  });
});

describe('REDACT_PATHS', () => {
  it('covers the secret keys at the top level and one level down', () => {
    expect(REDACT_PATHS).toEqual(
      expect.arrayContaining([
        'authorization',
        '*.authorization',
        'password',
        '*.pass',
        '["set-cookie"]',
        '*["set-cookie"]',
      ]),
    );
  });
});
