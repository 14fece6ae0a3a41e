/**
 * Property tests of the relay's HTTP surface (issue #6, issue 10.8a):
 * generated requests sent to every relay route over real sockets (the
 * production app on loopback, Qualys played by the simulator).
 *
 * Every input is generated with its class — which route, which kind of
 * Authorization header, which body and how it is labelled and encoded — and
 * the oracle (`expectedAnswer`) states from that class alone what the relay
 * must answer: the exact status and error code (and message where the spec
 * fixes it), or the route's data. A malformed body is `invalid argument`,
 * never `unknown` or `connection error`; an answer that is merely "some
 * well-formed envelope" does not pass.
 *
 * Fixed seeds and bounded runs keep it repeatable and quick; FUZZ_SEED and
 * FUZZ_RUNS explore further (FUZZ_RUNS=2000 npm test -- test/fuzz-relay-http).
 */
import {
  brotliCompressSync,
  brotliDecompressSync,
  deflateSync,
  gunzipSync,
  gzipSync,
  inflateSync,
} from 'node:zlib';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { OBSERVABLE_TYPE_NAMES, SUPPORTED_OBSERVABLE_TYPES } from '../src/common/observable.js';
import { RELAY_VERSION } from '../src/common/version.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { validateObserveResponse } from '../tools/lib/ctim-validator.js';
import { sendRequest } from '../tools/lib/http-client.js';
import { startRelayHarness, TEST_JWT_SECRET, type RelayHarness } from './support/relay-harness.js';

const SEED = Number(process.env.FUZZ_SEED ?? 6_2024);
const runs = (n: number) => Number(process.env.FUZZ_RUNS ?? n);

interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
}

/**
 * One connection for the whole suite: requests after odd ones reuse it, as a
 * Threat Response client would.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request with exactly the headers and bytes given, on the suite's connection. */
async function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<RawAnswer> {
  const { status, contentType, text } = await sendRequest(base, method, path, {
    headers,
    body,
    agent,
    timeoutMs: 10_000,
  });
  return { status, contentType, text };
}

// ---------------------------------------------------------------------------
// Input classes

interface Route {
  method: string;
  path: string;
}

const RELAY_ROUTES: Route[] = [
  { method: 'POST', path: '/health' },
  { method: 'POST', path: '/observe/observables' },
  { method: 'POST', path: '/refer/observables' },
  { method: 'POST', path: '/deliberate/observables' },
  { method: 'POST', path: '/respond/observables' },
  { method: 'POST', path: '/respond/trigger' },
  { method: 'POST', path: '/version' },
  { method: 'GET', path: '/watchdog' },
];
/** Wrong methods and unknown paths: a 404 envelope, not an HTML page. */
const ODD_ROUTES: Route[] = [
  { method: 'GET', path: '/observe/observables' },
  { method: 'PUT', path: '/refer/observables' },
  { method: 'DELETE', path: '/health' },
  { method: 'POST', path: '/observe/observables/..%2f..%2fetc' },
  { method: 'POST', path: '/%E0%A4%A' },
  { method: 'POST', path: '/__proto__' },
];

/** Authorization header kinds; `text` carries a generated header value. */
type AuthCase =
  | { kind: 'none' | 'valid' | 'lowercase' | 'wrongSecret' | 'expired' | 'algNone' | 'tampered' }
  | { kind: 'basic' }
  | { kind: 'otherScheme'; text: string }
  | { kind: 'bearerJunk'; text: string };

/**
 * Bodies by what they are. `bytes` are arbitrary; the oracle reads them the
 * way any JSON body is read (UTF-8, BOM dropped, empty means `{}`).
 */
type BodyCase =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'malformed'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'nested'; depth: number };

/** How the body is labelled: its Content-Type says UTF-8 (or nothing), another charset, or UTF-16. */
type CharsetCase =
  | { kind: 'utf8'; contentType: string | undefined }
  | { kind: 'unsupported'; contentType: string }
  | { kind: 'utf16'; contentType: string };

/** Content-Encoding, and whether the body really is encoded that way. */
type EncodingCase =
  | { kind: 'plain'; header: undefined | 'identity' }
  | { kind: 'encoded'; header: 'gzip' | 'deflate' | 'br' }
  | { kind: 'mislabelled'; header: 'gzip' | 'deflate' }
  | { kind: 'unknown'; header: 'x-unknown' };

const V = SIMULATOR_VALUES;
const printable = (max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: max,
  });

/** Observable values worth sending: known hits, escapes, unicode (lone surrogates too), long ones. */
const observableValue = fc.oneof(
  fc.constantFrom(
    V.md5,
    V.sha256,
    V.ip,
    V.domain,
    V.mutex,
    V.quotedFileName,
    V.noisySha256,
    V.unknown,
  ),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '" or file.name: "*',
    '\\',
    '"',
    '\u0000',
    '\ud800',
    'a\udc00b',
    ' ',
    'x'.repeat(3000),
  ),
);

const observableItem = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constantFrom(...SUPPORTED_OBSERVABLE_TYPES, 'url', 'email', ''),
      value: observableValue,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      { type: fc.jsonValue({ maxDepth: 1 }), value: fc.jsonValue({ maxDepth: 1 }) },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const bodyCase: fc.Arbitrary<BodyCase> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(observableItem, { maxLength: 4 })
      .map((value): BodyCase => ({ kind: 'json', value })),
  },
  {
    weight: 2,
    arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value): BodyCase => ({ kind: 'json', value })),
  },
  {
    weight: 2,
    arbitrary: fc
      .string({ maxLength: 40 })
      .filter((text) => !parsesAsJson(text))
      .map((text): BodyCase => ({ kind: 'malformed', text })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(observableItem, { minLength: 1, maxLength: 3 })
      .chain((items) => {
        const text = JSON.stringify(items);
        // Cut short or given trailing garbage: no longer JSON.
        return fc.constantFrom(text.slice(0, -1), `${text},`, `${text}}`, text.replace('[', '[,'));
      })
      .map((text): BodyCase => ({ kind: 'malformed', text })),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 64 })
      .map((bytes): BodyCase => ({ kind: 'bytes', bytes })),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 100, max: 20_000 })
      .map((depth): BodyCase => ({ kind: 'nested', depth })),
  },
  { weight: 1, arbitrary: fc.constant<BodyCase>({ kind: 'none' }) },
);

const charsetCase: fc.Arbitrary<CharsetCase> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .oneof(
        fc.constantFrom(
          undefined,
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
        ),
        // Any other label without a charset: the relay reads every body as JSON.
        printable(30).filter((text) => !/charset/i.test(text)),
      )
      .map((contentType): CharsetCase => ({ kind: 'utf8', contentType })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('application/json; charset=latin1', 'application/json; charset=nonsense')
      .map((contentType): CharsetCase => ({ kind: 'unsupported', contentType })),
  },
  {
    weight: 1,
    arbitrary: fc.constant<CharsetCase>({
      kind: 'utf16',
      contentType: 'application/json; charset=utf-16',
    }),
  },
);

const encodingCase: fc.Arbitrary<EncodingCase> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom(undefined, 'identity' as const)
      .map((header): EncodingCase => ({ kind: 'plain', header })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('gzip' as const, 'deflate' as const, 'br' as const)
      .map((header): EncodingCase => ({ kind: 'encoded', header })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('gzip' as const, 'deflate' as const)
      .map((header): EncodingCase => ({ kind: 'mislabelled', header })),
  },
  { weight: 1, arbitrary: fc.constant<EncodingCase>({ kind: 'unknown', header: 'x-unknown' }) },
);

const FIXED_AUTH_KINDS = [
  'none',
  'lowercase',
  'wrongSecret',
  'expired',
  'algNone',
  'tampered',
  'basic',
] as const;

const authCase: fc.Arbitrary<AuthCase> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<AuthCase>({ kind: 'valid' }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...FIXED_AUTH_KINDS).map((kind): AuthCase => ({ kind })),
  },
  {
    weight: 1,
    arbitrary: printable(60)
      .filter(
        (text) => text.trim() !== '' && text.trim().split(/\s+/)[0].toLowerCase() !== 'bearer',
      )
      .map((text): AuthCase => ({ kind: 'otherScheme', text })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        printable(60).map((text) => `Bearer ${text}`),
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          'Bearer a.b.c',
          'Bearer ..',
          'Bearer \t x',
          'Bearer a b',
        ),
      )
      .map((text): AuthCase => ({ kind: 'bearerJunk', text })),
  },
);

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Building the request from its class

function bodyBytes(body: BodyCase): Buffer | undefined {
  switch (body.kind) {
    case 'none':
      return undefined;
    case 'json':
      return Buffer.from(JSON.stringify(body.value) ?? 'null');
    case 'malformed':
      return Buffer.from(body.text);
    case 'bytes':
      return Buffer.from(body.bytes);
    case 'nested': {
      const open = '{"a":['.repeat(body.depth);
      const close = ']}'.repeat(body.depth);
      return Buffer.from(`[{"type":"ip","value":"1.2.3.4","extra":${open}1${close}}]`);
    }
  }
}

const COMPRESS = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };

function encoded(bytes: Buffer | undefined, encoding: EncodingCase): Buffer | undefined {
  if (bytes === undefined || encoding.kind !== 'encoded') return bytes;
  return COMPRESS[encoding.header](bytes);
}

// ---------------------------------------------------------------------------
// The oracle

type Expected =
  | { status: number; body: unknown }
  | { status: 200; observe: true }
  | { status: 200; deliberate: true }
  | { status: 200; referTitles: string[] };

const envelope = (code: string, message: unknown) => ({
  errors: [{ type: 'fatal', code, message }],
});
const invalid = (details: string) =>
  envelope('invalid argument', `Invalid JSON payload received. ${details}`);
const unauthorized = (reason: string) =>
  envelope('authorization error', `Authorization failed: ${reason}`);

/** Node's client frames a POST or PUT without a body as an empty one; GET and DELETE send none. */
function sendsBody(method: string, bytes: Buffer | undefined): boolean {
  return bytes !== undefined || !['GET', 'DELETE'].includes(method);
}

const DECOMPRESS = { gzip: gunzipSync, deflate: inflateSync, br: brotliDecompressSync };

/**
 * What the body reads as, before any route sees it: a value, or the spec §7
 * `invalid argument` for a body that cannot be read as JSON.
 */
function readBody(
  method: string,
  bytes: Buffer | undefined,
  charset: CharsetCase,
  encoding: EncodingCase,
): { value: unknown } | { error: ReturnType<typeof invalid> } {
  if (!sendsBody(method, bytes)) return { value: undefined };
  if (charset.kind === 'unsupported' || encoding.kind === 'unknown') {
    return { error: invalid('The request body encoding is not supported.') };
  }
  let raw = bytes ?? Buffer.alloc(0);
  if (encoding.kind === 'encoded' || encoding.kind === 'mislabelled') {
    // What was sent, decompressed as labelled: a body sent as is (or none at
    // all) inflates only if it happens to be a valid stream.
    try {
      raw = DECOMPRESS[encoding.header](raw);
    } catch {
      return { error: invalid('The request body could not be read.') };
    }
  }
  // utf16 bodies are UTF-8 JSON text of two or more ASCII bytes (see the
  // test below): as UTF-16 they read as CJK characters, never JSON.
  if (charset.kind === 'utf16') return { error: invalid('The request body is not valid JSON.') };
  const text = new TextDecoder('utf-8').decode(raw);
  if (text === '') return { value: {} };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { error: invalid('The request body is not valid JSON.') };
  }
}

/** Spec §3: what an Authorization header of this class is refused for (undefined: accepted). */
function authRefusal(auth: AuthCase): string | undefined {
  switch (auth.kind) {
    case 'valid':
    case 'lowercase': // the scheme is case-insensitive
      return undefined;
    case 'none':
      return 'Authorization header is missing';
    case 'basic':
    case 'otherScheme':
      return 'Wrong authorization type';
    case 'bearerJunk':
      return 'Wrong JWT structure';
    case 'expired':
      return 'The JWT has expired';
    case 'wrongSecret':
    case 'tampered':
    case 'algNone':
      return 'Failed to decode JWT with provided key';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Spec §2: the problems of an observables body, as the relay names them. */
function observableProblems(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'The request body must be a JSON array of observables.';
  const problems = value.flatMap((item: unknown, index) => {
    if (!isObject(item)) return [`[${index}] must be an object with type and value`];
    return (['type', 'value'] as const).flatMap((field) => {
      const text = item[field];
      if (text === undefined || text === null) return [`[${index}].${field} is required`];
      if (typeof text !== 'string') return [`[${index}].${field} must be a string`];
      if (text === '') return [`[${index}].${field} must not be empty`];
      if (/\p{Surrogate}/u.test(text)) {
        return [`[${index}].${field} must be well-formed Unicode (no lone surrogates)`];
      }
      return [];
    });
  });
  if (problems.length === 0) return undefined;
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
  return `${problems.slice(0, 5).join('; ')}${more}`;
}

/** Spec §6: one link per distinct supported observable, in order. */
function referTitles(observables: { type: string; value: string }[]): string[] {
  const seen = new Set<string>();
  const titles: string[] = [];
  for (const { type, value } of observables) {
    if (!(type in OBSERVABLE_TYPE_NAMES) || seen.has(`${type}\0${value}`)) continue;
    seen.add(`${type}\0${value}`);
    titles.push(
      `Search for this ${OBSERVABLE_TYPE_NAMES[type as keyof typeof OBSERVABLE_TYPE_NAMES]}`,
    );
  }
  return titles;
}

interface Case {
  route: Route;
  auth: AuthCase;
  charset: CharsetCase;
  encoding: EncodingCase;
  body: BodyCase;
  healthCheck: string | undefined;
}

/**
 * The answer spec §2, §3 and §7 require for a request of this class. Order
 * as the relay applies it: the body is read first (on every route, known or
 * not), then the route, then the JWT, then the observables.
 */
function expectedAnswer(c: Case, bytes: Buffer | undefined): Expected {
  const read = readBody(c.route.method, bytes, c.charset, c.encoding);
  if ('error' in read) return { status: 200, body: read.error };
  const routeKey = `${c.route.method} ${c.route.path}`;
  if (!RELAY_ROUTES.some((r) => `${r.method} ${r.path}` === routeKey)) {
    return { status: 404, body: envelope('not found', 'Route not found') };
  }
  if (routeKey === 'POST /version') return { status: 200, body: { version: RELAY_VERSION } };
  if (routeKey === 'GET /watchdog') {
    return c.healthCheck === undefined
      ? {
          status: 200,
          body: envelope(
            'health check failed',
            'Invalid Health-Check request: the Health-Check header is missing',
          ),
        }
      : // HTTP drops a header value's surrounding blanks.
        { status: 200, body: { data: c.healthCheck.replace(/^[ \t]+|[ \t]+$/g, '') } };
  }
  const refusal = authRefusal(c.auth);
  if (refusal !== undefined) return { status: 200, body: unauthorized(refusal) };
  if (c.route.path === '/health') return { status: 200, body: { data: { status: 'ok' } } };
  if (c.route.path === '/respond/trigger') {
    return { status: 200, body: { data: { status: 'failure' } } };
  }
  const problems = observableProblems(read.value);
  if (problems !== undefined) return { status: 200, body: invalid(problems) };
  switch (c.route.path) {
    case '/deliberate/observables':
      return { status: 200, deliberate: true };
    case '/respond/observables':
      return { status: 200, body: { data: [] } };
    case '/refer/observables':
      return {
        status: 200,
        referTitles: referTitles(read.value as { type: string; value: string }[]),
      };
    default:
      return { status: 200, observe: true };
  }
}

/** The answer as the oracle compares it: status, and the body or what the body must satisfy. */
function actual(answer: RawAnswer, expected: Expected): unknown {
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return { status: answer.status, notJson: answer.text.slice(0, 200) };
  }
  const json = /^application\/json\b/.test(answer.contentType);
  if ('observe' in expected) {
    // Valid CTIM, and no error at all: a valid request never meets unknown or connection error.
    const problems =
      isObject(body) && 'errors' in body ? [answer.text] : validateObserveResponse(body);
    return { status: answer.status, json, observe: problems.length === 0 || problems };
  }
  if ('deliberate' in expected) {
    // The same, with verdicts only (spec §13).
    const data = isObject(body) ? body.data : undefined;
    const problems =
      isObject(body) && 'errors' in body ? [answer.text] : validateObserveResponse(body);
    if (isObject(data)) {
      for (const key of Object.keys(data)) {
        if (key !== 'verdicts') problems.push(`data has ${key}`);
      }
    }
    return { status: answer.status, json, deliberate: problems.length === 0 || problems };
  }
  if ('referTitles' in expected) {
    const links = isObject(body) && Array.isArray(body.data) ? (body.data as unknown[]) : undefined;
    return {
      status: answer.status,
      json,
      referTitles: links ? links.map((link) => (isObject(link) ? link.title : link)) : body,
    };
  }
  return { status: answer.status, json, body };
}

function asComparable(expected: Expected): unknown {
  if ('observe' in expected) return { status: 200, json: true, observe: true };
  if ('deliberate' in expected) return { status: 200, json: true, deliberate: true };
  if ('referTitles' in expected) {
    return { status: 200, json: true, referTitles: expected.referTitles };
  }
  return { status: expected.status, json: true, body: expected.body };
}

describe('relay HTTP surface under generated requests (fuzz, exact oracle)', () => {
  let relay: RelayHarness;
  let valid: string;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: { QUALYS_TIMEOUT_MS: '1000', QUALYS_BUDGET_MS: '3000' },
    });
    valid = await relay.token();
    const secret = (text: string) => new TextEncoder().encode(text);
    const unsigned = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    tokens = {
      valid: `Bearer ${valid}`,
      lowercase: `bearer ${valid}`,
      wrongSecret: `Bearer ${await new SignJWT({ user: SIMULATOR_USER, pass: SIMULATOR_PASSWORD })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(secret('another-secret-that-is-long-enough-0123456789'))}`,
      expired: `Bearer ${await new SignJWT({
        user: SIMULATOR_USER,
        pass: SIMULATOR_PASSWORD,
        API_URL: relay.simulator.url,
      })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
        .sign(secret(TEST_JWT_SECRET))}`,
      algNone: `Bearer ${unsigned({ alg: 'none', typ: 'JWT' })}.${unsigned({ user: SIMULATOR_USER, pass: 'x' })}.`,
      // A different last signature character changes the signature's bytes.
      tampered: `Bearer ${valid.slice(0, -3)}${valid.endsWith('A') ? 'B' : 'A'}xy`,
      basic: `Basic ${Buffer.from('user:pass').toString('base64')}`,
    };
  });
  afterAll(async () => {
    agent.destroy();
    await relay.close();
  });

  function authorizationHeader(auth: AuthCase): string | undefined {
    if (auth.kind === 'none') return undefined;
    if (auth.kind === 'otherScheme' || auth.kind === 'bearerJunk') return auth.text;
    return tokens[auth.kind];
  }

  async function exchange(
    c: Case,
  ): Promise<{ actual: unknown; expected: unknown; input: unknown }> {
    const bytes = encoded(bodyBytes(c.body), c.encoding);
    const headers: Record<string, string> = {};
    const header = authorizationHeader(c.auth);
    if (header !== undefined) headers.Authorization = header;
    if (c.charset.contentType !== undefined) headers['Content-Type'] = c.charset.contentType;
    if (c.encoding.header !== undefined) headers['Content-Encoding'] = c.encoding.header;
    if (c.healthCheck !== undefined) headers['Health-Check'] = c.healthCheck;
    const answer = await send(relay.url, c.route.method, c.route.path, headers, bytes);
    const expected = expectedAnswer(c, bytes);
    return { actual: actual(answer, expected), expected: asComparable(expected), input: c };
  }

  it('answers every route, header and body class with exactly what the spec says', async () => {
    const utf8ForUtf16 = (c: Case): Case =>
      // utf16-labelled bodies: two or more bytes of plain UTF-8 JSON text, sent as is.
      c.charset.kind === 'utf16'
        ? {
            ...c,
            body: { kind: 'json', value: [{ type: 'ip', value: '1.2.3.4' }] },
            encoding: { kind: 'plain', header: undefined },
          }
        : c;
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({
            route: fc.oneof(
              { weight: 6, arbitrary: fc.constantFrom(...RELAY_ROUTES) },
              { weight: 1, arbitrary: fc.constantFrom(...ODD_ROUTES) },
            ),
            auth: authCase,
            charset: charsetCase,
            encoding: encodingCase,
            body: bodyCase,
            healthCheck: fc.option(printable(20), { nil: undefined }),
          })
          .map(utf8ForUtf16),
        async (c) => {
          const { actual: got, expected } = await exchange(c);
          expect(got).toEqual(expected);
        },
      ),
      { seed: SEED, numRuns: runs(300) },
    );
  });

  it('answers generated observables with a valid JWT with valid CTIM or the exact invalid argument', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observableItem, { minLength: 1, maxLength: 4 }), async (items) => {
        const { actual: got, expected } = await exchange({
          route: RELAY_ROUTES[1],
          auth: { kind: 'valid' },
          charset: { kind: 'utf8', contentType: 'application/json' },
          encoding: { kind: 'plain', header: undefined },
          body: { kind: 'json', value: items },
          healthCheck: undefined,
        });
        expect(got).toEqual(expected);
      }),
      { seed: SEED + 1, numRuns: runs(120) },
    );
  });

  it('refuses generated JWT payloads signed with the right key with the exact authorization error', async () => {
    const claim = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 12 }),
      fc.jsonValue({ maxDepth: 1 }),
    );
    const fixedUrls: Record<string, string> = {
      'https://evil.example.com': 'names a host that is not on the allowed Qualys host list',
      'http://169.254.169.254/latest': 'names a host that is not on the allowed Qualys host list',
      'file:///etc/passwd': 'must use http or https',
      'https://gateway.qg1.apps.qualys.com@evil.example': 'must not contain user credentials',
      'not a url': 'is not a valid absolute URL',
    };
    const url = fc.oneof(claim, fc.constantFrom(...Object.keys(fixedUrls)));
    /** Spec §3 reasons a generated string can earn (never a private or loopback address here). */
    const REASONS = [
      'is not a valid absolute URL',
      'must use http or https',
      'must not contain user credentials',
      'must not contain a query string or fragment',
      'names a host that is not on the allowed Qualys host list',
    ];
    const nonBlank = (value: unknown) => typeof value === 'string' && value.trim() !== '';

    /**
     * Spec §3: credentials first, then API_URL. This relay has no default
     * API URL and no generated URL is an allowed one, so no class reaches Qualys.
     */
    const expectedMessage = (payload: Record<string, unknown>): unknown => {
      const failed = (reason: string) => `Authorization failed: ${reason}`;
      if (!nonBlank(payload.user) || !nonBlank(payload.pass)) {
        return failed('Wrong JWT payload structure');
      }
      const apiUrl = payload.API_URL;
      if (apiUrl === undefined || (typeof apiUrl === 'string' && apiUrl.trim() === '')) {
        return failed('API_URL is not configured');
      }
      if (typeof apiUrl !== 'string') return failed('Wrong JWT payload structure');
      if (apiUrl in fixedUrls) return failed(`API_URL in JWT payload ${fixedUrls[apiUrl]}`);
      return expect.stringMatching(
        new RegExp(`^Authorization failed: API_URL in JWT payload (${REASONS.join('|')})$`),
      );
    };

    await fc.assert(
      fc.asyncProperty(
        fc.record(
          { user: claim, pass: claim, API_URL: url, PLATFORM_URL: url, CTR_ENTITIES_LIMIT: claim },
          { requiredKeys: [] },
        ),
        fc.constantFrom(RELAY_ROUTES[0], RELAY_ROUTES[1], RELAY_ROUTES[2]),
        async (payload, route) => {
          const claims = Object.fromEntries(
            Object.entries(payload).filter(([, value]) => value !== undefined),
          );
          const jwt = await new SignJWT(claims)
            .setProtectedHeader({ alg: 'HS256' })
            .sign(new TextEncoder().encode(TEST_JWT_SECRET));
          const answer = await send(
            relay.url,
            route.method,
            route.path,
            { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
            Buffer.from(JSON.stringify([{ type: 'md5', value: V.md5 }])),
          );
          expect({ status: answer.status, body: JSON.parse(answer.text) as unknown }).toEqual({
            status: 200,
            body: envelope('authorization error', expectedMessage(claims)),
          });
        },
      ),
      { seed: SEED + 2, numRuns: runs(80) },
    );
  });
});
