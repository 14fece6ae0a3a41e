import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SIMULATOR_VALUES } from './dataset.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
} from './qualys-simulator.js';

const FORM = 'application/x-www-form-urlencoded';
const CREDENTIALS_ERROR = { authentication_exceptions: ['InvalidCredentialsException'] };
const SHA256_FILTER = `file.hash.sha256: "${SIMULATOR_VALUES.sha256}"`;

describe('Qualys simulator: POST /auth and bearer tokens', () => {
  let simulator: QualysSimulator;

  beforeAll(async () => {
    simulator = await startQualysSimulator();
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => {
    simulator.resetStats();
    simulator.clearFaults();
  });

  function postAuth(body: string, contentType = FORM): Promise<Response> {
    return fetch(`${simulator.url}/auth`, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body,
    });
  }

  function form(username: string, password: string, token = 'true'): string {
    return new URLSearchParams({ username, password, token }).toString();
  }

  async function token(): Promise<string> {
    const response = await postAuth(form(SIMULATOR_USER, SIMULATOR_PASSWORD));
    expect(response.status).toBe(201);
    return response.text();
  }

  function search(bearer: string | undefined, path = '/ioc/events'): Promise<Response> {
    const url = `${simulator.url}${path}?${new URLSearchParams({ filter: SHA256_FILTER, state: 'true' }).toString()}`;
    return fetch(url, {
      headers: bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` },
    });
  }

  it('listens on an ephemeral loopback port', () => {
    expect(simulator.port).toBeGreaterThan(0);
    expect(simulator.url).toBe(`http://127.0.0.1:${simulator.port}`);
  });

  it('uses a demo password that breaks naive form encoding', () => {
    for (const char of ['&', '=', '+', '%']) expect(SIMULATOR_PASSWORD).toContain(char);
  });

  it('answers 201 with a bare JWT-shaped token for properly form-encoded credentials', async () => {
    const response = await postAuth(form(SIMULATOR_USER, SIMULATOR_PASSWORD));
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    // Real Qualys tokens are JWTs, and the relay refuses anything else (spec §7).
    const [header, payload, signature, ...rest] = (await response.text()).split('.');
    const decode = (part: string): unknown =>
      JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    const claims = decode(payload) as { iat: number };
    expect({ header: decode(header), claims, signature, rest }).toEqual({
      header: { alg: 'HS256', typ: 'JWT' },
      claims: {
        sub: SIMULATOR_USER,
        iat: expect.any(Number),
        exp: claims.iat + 4 * 60 * 60,
        jti: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      signature: expect.stringMatching(/^[\w-]{43}$/),
      rest: [],
    });
  });

  it('accepts a charset parameter on the content type', async () => {
    const response = await postAuth(
      form(SIMULATOR_USER, SIMULATOR_PASSWORD),
      `${FORM}; charset=UTF-8`,
    );
    expect(response.status).toBe(201);
  });

  it('issues a different token each time', async () => {
    expect(await token()).not.toBe(await token());
  });

  it('rejects a password sent without form encoding (the & splits it)', async () => {
    const response = await postAuth(
      `username=${SIMULATOR_USER}&password=${SIMULATOR_PASSWORD}&token=true`,
    );
    expect(response.status).toBe(401);
  });

  it('answers 401 with the Qualys credentials error for a wrong password', async () => {
    const response = await postAuth(form(SIMULATOR_USER, 'wrong'));
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(CREDENTIALS_ERROR);
  });

  it('answers 401 for an unknown user', async () => {
    const response = await postAuth(form('constructor', SIMULATOR_PASSWORD));
    expect([response.status, await response.json()]).toEqual([401, CREDENTIALS_ERROR]);
  });

  it.each([
    [
      'a JSON body',
      JSON.stringify({ username: SIMULATOR_USER, password: SIMULATOR_PASSWORD, token: 'true' }),
      'application/json',
      'Bad Request: Content-Type must be application/x-www-form-urlencoded',
    ],
    [
      'no username',
      'password=x&token=true',
      FORM,
      'Bad Request: username and password are required',
    ],
    [
      'no password',
      'username=x&token=true',
      FORM,
      'Bad Request: username and password are required',
    ],
    [
      'token=false',
      `username=a&password=b&token=false`,
      FORM,
      'Bad Request: token=true is required',
    ],
    ['no token field', `username=a&password=b`, FORM, 'Bad Request: token=true is required'],
  ])('answers 400 to %s', async (_case, body, contentType, message) => {
    const response = await postAuth(body, contentType);
    expect([response.status, await response.text()]).toEqual([400, message]);
  });

  it('counts and records auth calls with their raw body', async () => {
    const body = form(SIMULATOR_USER, 'wrong');
    await (await postAuth(body)).text();
    expect(simulator.stats.authCalls).toBe(1);
    expect(simulator.stats.searchCalls).toBe(0);
    const [recorded] = simulator.stats.requests;
    expect({ ...recorded, headers: recorded.headers['content-type'] }).toEqual({
      method: 'POST',
      path: '/auth',
      query: {},
      headers: FORM,
      body,
    });
  });

  it('answers 401 to a search without a token, with a junk token or with another scheme', async () => {
    const valid = await token();
    const answers = await Promise.all([
      search(undefined),
      search('sim-0123456789abcdef0123456789abcdef'),
      fetch(`${simulator.url}/ioc/events?filter=x`, {
        headers: { Authorization: `Basic ${valid}` },
      }),
    ]);
    for (const response of answers) {
      expect([response.status, await response.text()]).toEqual([401, 'Unauthorized']);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('accepts a fresh token on both event paths', async () => {
    const bearer = await token();
    for (const path of ['/ioc/events', '/ioc/v1/events']) {
      const response = await search(bearer, path);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { id: string }[]).map((event) => event.id)).toEqual([
        '5e1a7c01-0000-4000-8000-000000000001',
        '5e1a7c01-0000-4000-8000-000000000002',
      ]);
    }
  });

  it('answers 401 with every token issued before revokeTokens(), and accepts new ones', async () => {
    const old = await token();
    expect((await search(old)).status).toBe(200);
    simulator.revokeTokens();
    expect((await search(old)).status).toBe(401);
    expect((await search(await token())).status).toBe(200);
  });

  it('expires existing tokens on expireTokensIn()', async () => {
    const old = await token();
    // Windows wide enough for a loaded CI machine: the first search lands well inside it.
    simulator.expireTokensIn(300);
    expect((await search(old)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await search(old)).status).toBe(401);
  });
});

describe('Qualys simulator: options', () => {
  it('expires tokens after tokenTtlMs', async () => {
    const simulator = await startQualysSimulator({ tokenTtlMs: 300 });
    try {
      const client = new URLSearchParams({
        username: SIMULATOR_USER,
        password: SIMULATOR_PASSWORD,
        token: 'true',
      });
      const auth = await fetch(`${simulator.url}/auth`, {
        method: 'POST',
        headers: { 'Content-Type': FORM },
        body: client.toString(),
      });
      const headers = { Authorization: `Bearer ${await auth.text()}` };
      const url = `${simulator.url}/ioc/events?filter=${encodeURIComponent(SHA256_FILTER)}`;
      expect((await fetch(url, { headers })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect((await fetch(url, { headers })).status).toBe(401);
    } finally {
      await simulator.close();
    }
  });

  it('uses the given credentials instead of the demo user', async () => {
    const simulator = await startQualysSimulator({ credentials: { alice: 'p@ss w&rd' } });
    try {
      const post = (username: string, password: string) =>
        fetch(`${simulator.url}/auth`, {
          method: 'POST',
          headers: { 'Content-Type': FORM },
          body: new URLSearchParams({ username, password, token: 'true' }).toString(),
        });
      expect((await post('alice', 'p@ss w&rd')).status).toBe(201);
      expect((await post(SIMULATOR_USER, SIMULATOR_PASSWORD)).status).toBe(401);
    } finally {
      await simulator.close();
    }
  });

  it.each([
    [{ port: 70000 }, 'port must be an integer from 0 to 65535'],
    [{ latencyMs: -1 }, 'latencyMs must be a non-negative number of milliseconds'],
    [{ randomFaultRate: 1.5 }, 'randomFaultRate must be between 0 and 1'],
    [{ tokenTtlMs: 0 }, 'tokenTtlMs must be positive'],
    [{ credentials: {} }, 'credentials must map non-empty usernames to non-empty passwords'],
  ])('refuses %j', async (options, message) => {
    await expect(startQualysSimulator(options)).rejects.toThrow(message);
  });
});
