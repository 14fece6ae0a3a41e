/**
 * Property tests of the relay's HTTP surface (issue #6): arbitrary bodies,
 * content types and Authorization headers sent to every relay route over
 * real sockets (the production app on loopback, Qualys played by the
 * simulator). Whatever arrives, the answer is never a 5xx and never a
 * non-JSON body: it is the spec §7 envelope, or valid data.
 *
 * Fixed seeds and bounded runs keep it repeatable and quick; FUZZ_SEED and
 * FUZZ_RUNS explore further (FUZZ_RUNS=2000 npm test -- test/fuzz-relay-http).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { Agent, request as httpRequest } from 'node:http';
import { SUPPORTED_OBSERVABLE_TYPES } from '../src/common/observable.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { validateObserveResponse } from './support/ctim-validator.js';
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

/**
 * One request over node:http, with exactly the headers and bytes given.
 * Content-Length is set by hand: node's client sends a GET or DELETE body
 * unframed, which would corrupt the next request on the connection.
 */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      {
        method,
        headers:
          body === undefined ? headers : { ...headers, 'Content-Length': String(body.length) },
        agent,
        signal: AbortSignal.timeout(10_000),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Spec §7 envelope: `{"errors": [{"type": "fatal", "code", "message"}]}` (+ `data` on partial failure). */
function isEnvelope(body: Json): boolean {
  const { errors } = body;
  return (
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every(
      (e) =>
        isObject(e) &&
        e.type === 'fatal' &&
        typeof e.code === 'string' &&
        typeof e.message === 'string',
    ) &&
    Object.keys(body).every((key) => key === 'errors' || key === 'data')
  );
}

/** What an answer may be: problems, or [] when it is fine. */
function answerProblems(route: Route, answer: RawAnswer): string[] {
  if (answer.status >= 500) return [`HTTP ${answer.status}: ${answer.text.slice(0, 200)}`];
  if (!/^application\/json\b/.test(answer.contentType)) {
    return [`content-type ${answer.contentType}: ${answer.text.slice(0, 200)}`];
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [`not JSON: ${answer.text.slice(0, 200)}`];
  }
  if (!isObject(body)) return [`not a JSON object: ${answer.text.slice(0, 200)}`];
  if ('errors' in body)
    return isEnvelope(body) ? [] : [`malformed envelope: ${answer.text.slice(0, 300)}`];
  if (answer.status !== 200) return [`HTTP ${answer.status} without an envelope`];
  if (route.path === '/version')
    return typeof body.version === 'string' ? [] : ['bad /version body'];
  if (route.path === '/observe/observables') return validateObserveResponse(body);
  return 'data' in body && Object.keys(body).length === 1
    ? []
    : [`unexpected body ${answer.text.slice(0, 200)}`];
}

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

const V = SIMULATOR_VALUES;
const printable = (max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: max,
  });

/** Observable values worth sending: known hits, escapes, unicode, long ones. */
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
  fc.constantFrom('" or file.name: "*', '\\', '"', '\u0000', '\ud800', ' ', 'x'.repeat(3000)),
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

/** Nested `depth` levels deep inside an otherwise valid observable. */
const deeplyNested = fc.integer({ min: 100, max: 20_000 }).map((depth) => {
  const open = '{"a":['.repeat(depth);
  const close = ']}'.repeat(depth);
  return `[{"type":"ip","value":"1.2.3.4","extra":${open}1${close}}]`;
});

const body: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(observableItem, { maxLength: 4 })
      .map((items) => Buffer.from(JSON.stringify(items))),
  },
  {
    weight: 2,
    arbitrary: fc
      .jsonValue({ maxDepth: 3 })
      .map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: deeplyNested.map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const contentType = fc.oneof(
  fc.constantFrom(
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json; charset=nonsense',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
  ),
  printable(30),
);

const contentEncoding = fc.constantFrom(
  undefined,
  undefined,
  undefined,
  'gzip',
  'deflate',
  'br',
  'identity',
  'x-unknown',
);

describe('relay HTTP surface under arbitrary requests (fuzz)', () => {
  let relay: RelayHarness;
  let valid: string;
  let wrongSecret: string;
  let expired: string;
  let algNone: string;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: { QUALYS_TIMEOUT_MS: '1000', QUALYS_BUDGET_MS: '3000' },
    });
    valid = await relay.token();
    wrongSecret = await new SignJWT({ user: SIMULATOR_USER, pass: SIMULATOR_PASSWORD })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-0123456789'));
    expired = await new SignJWT({
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: relay.simulator.url,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const unsigned = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    algNone = `${unsigned({ alg: 'none', typ: 'JWT' })}.${unsigned({ user: SIMULATOR_USER, pass: 'x' })}.`;
  });
  afterAll(async () => {
    agent.destroy();
    await relay.close();
  });

  /** Authorization header values: none, valid, tampered, foreign, malformed. */
  const authorization = fc.oneof(
    { weight: 3, arbitrary: fc.constant('valid') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'none',
        'wrongSecret',
        'expired',
        'algNone',
        'tampered',
        'lowercase',
        'basic',
      ),
    },
    { weight: 1, arbitrary: printable(60) },
    { weight: 1, arbitrary: printable(60).map((text) => `Bearer ${text}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Bearer a.b.c', 'Bearer ..', 'Bearer \t x'),
    },
  );

  function authorizationHeader(kind: string): string | undefined {
    switch (kind) {
      case 'none':
        return undefined;
      case 'valid':
        return `Bearer ${valid}`;
      case 'wrongSecret':
        return `Bearer ${wrongSecret}`;
      case 'expired':
        return `Bearer ${expired}`;
      case 'algNone':
        return `Bearer ${algNone}`;
      case 'tampered':
        return `Bearer ${valid.slice(0, -3)}${valid.endsWith('A') ? 'B' : 'A'}xy`;
      case 'lowercase':
        return `bearer ${valid}`;
      case 'basic':
        return `Basic ${Buffer.from('user:pass').toString('base64')}`;
      default:
        return kind;
    }
  }

  it('answers any route, header and body with JSON: the envelope or valid data, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...RELAY_ROUTES) },
          { weight: 1, arbitrary: fc.constantFrom(...ODD_ROUTES) },
        ),
        authorization,
        contentType,
        contentEncoding,
        body,
        fc.option(printable(20), { nil: undefined }),
        async (route, auth, type, encoding, payload, healthCheck) => {
          const headers: Record<string, string> = {};
          const header = authorizationHeader(auth);
          if (header !== undefined) headers.Authorization = header;
          if (type !== undefined) headers['Content-Type'] = type;
          if (encoding !== undefined) headers['Content-Encoding'] = encoding;
          if (healthCheck !== undefined) headers['Health-Check'] = healthCheck;
          const answer = await send(relay.url, route.method, route.path, headers, payload);
          expect(answerProblems(route, answer)).toEqual([]);
        },
      ),
      { seed: SEED, numRuns: runs(250) },
    );
  });

  it('answers arbitrary observables with a valid JWT with valid CTIM or the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observableItem, { minLength: 1, maxLength: 4 }), async (items) => {
        const route = RELAY_ROUTES[1];
        const answer = await send(
          relay.url,
          'POST',
          route.path,
          { Authorization: `Bearer ${valid}`, 'Content-Type': 'application/json' },
          Buffer.from(JSON.stringify(items)),
        );
        expect(answerProblems(route, answer)).toEqual([]);
      }),
      { seed: SEED + 1, numRuns: runs(120) },
    );
  });

  it('answers arbitrary JWT payloads signed with the right key with the envelope or data', async () => {
    const claim = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 12 }),
      fc.jsonValue({ maxDepth: 1 }),
    );
    const url = fc.oneof(
      claim,
      fc.constantFrom(
        'https://evil.example.com',
        'http://169.254.169.254/latest',
        'file:///etc/passwd',
        'https://gateway.qg1.apps.qualys.com@evil.example',
        'not a url',
      ),
    );
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
          expect(answerProblems(route, answer)).toEqual([]);
        },
      ),
      { seed: SEED + 2, numRuns: runs(80) },
    );
  });
});
