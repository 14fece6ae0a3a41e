import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ACCESS_TOKEN_TTL_SEC,
  startTrSimulator,
  TR_SIMULATOR_CLIENT_ID,
  TR_SIMULATOR_CLIENT_PASSWORD,
  type TrSimulator,
} from './tr-simulator.js';

let simulator: TrSimulator;

beforeAll(async () => {
  simulator = await startTrSimulator();
});
afterEach(() => simulator.reset());
afterAll(() => simulator.close());

const BASIC = `Basic ${Buffer.from(`${TR_SIMULATOR_CLIENT_ID}:${TR_SIMULATOR_CLIENT_PASSWORD}`).toString('base64')}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function tokenCall(
  headers: Record<string, string> = { authorization: BASIC, ...FORM },
  body = 'grant_type=client_credentials',
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${simulator.url}/iroh/oauth2/token`, {
    method: 'POST',
    headers,
    body,
  });
  return { status: response.status, body: await response.json() };
}

async function token(): Promise<string> {
  return ((await tokenCall()).body as { access_token: string }).access_token;
}

async function api(
  method: string,
  path: string,
  body?: unknown,
  bearer?: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${simulator.url}/iroh/iroh-int/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer ?? (await token())}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const instance = {
  name: 'Qualys IOC',
  module_type_id: 'type-1',
  visibility: 'org',
  settings: {
    url: 'https://relay.example.com',
    'auth-type': 'authorization-header',
    'authorization-header': 'Bearer x.y.z',
    'supported-apis': ['health', 'observe/observables'],
  },
};

describe('TR simulator: OAuth2 client credentials', () => {
  it('issues a JWT-shaped bearer token with the granted scopes', async () => {
    const { status, body } = await tokenCall();
    expect(status).toBe(200);
    expect(body).toEqual({
      access_token: expect.stringMatching(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/),
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_TTL_SEC,
      scope: 'integration',
    });
    expect(simulator.issuedTokens()).toEqual([(body as { access_token: string }).access_token]);
  });

  it.each<[string, Record<string, string>, string, number, unknown]>([
    [
      'a wrong password',
      {
        authorization: `Basic ${Buffer.from(`${TR_SIMULATOR_CLIENT_ID}:nope`).toString('base64')}`,
        ...FORM,
      },
      'grant_type=client_credentials',
      401,
      { error: 'invalid_client', error_description: 'Invalid client credentials' },
    ],
    [
      'no credentials',
      FORM,
      'grant_type=client_credentials',
      401,
      { error: 'invalid_client', error_description: 'Invalid client credentials' },
    ],
    [
      'another grant',
      { authorization: BASIC, ...FORM },
      'grant_type=password',
      400,
      { error: 'unsupported_grant_type' },
    ],
    [
      'a JSON body',
      { authorization: BASIC, 'content-type': 'application/json' },
      '{}',
      400,
      {
        error: 'invalid_request',
        error_description: 'The body must be application/x-www-form-urlencoded',
      },
    ],
  ])('refuses %s', async (_name, headers, body, status, answer) => {
    expect(await tokenCall(headers, body)).toEqual({ status, body: answer });
    expect(simulator.issuedTokens()).toEqual([]);
  });
});

describe('TR simulator: module collections', () => {
  it('creates, lists, reads, patches (top-level keys) and deletes module instances', async () => {
    const bearer = await token();
    const created = await api('POST', 'module-instance', instance, bearer);
    const id = (created.body as { id: string }).id;
    expect(created).toEqual({ status: 201, body: { ...instance, id: expect.any(String) } });
    expect(await api('GET', 'module-instance', undefined, bearer)).toEqual({
      status: 200,
      body: [{ ...instance, id }],
    });
    expect(await api('PATCH', `module-instance/${id}`, { visibility: 'user' }, bearer)).toEqual({
      status: 200,
      body: { ...instance, visibility: 'user', id },
    });
    expect(await api('GET', `module-instance/${id}`, undefined, bearer)).toEqual({
      status: 200,
      body: { ...instance, visibility: 'user', id },
    });
    expect(await api('DELETE', `module-instance/${id}`, undefined, bearer)).toEqual({
      status: 204,
      body: undefined,
    });
    expect(await api('DELETE', `module-instance/${id}`, undefined, bearer)).toEqual({
      status: 404,
      body: { error: 'not_found' },
    });
    expect(simulator.items('module-instance')).toEqual([]);
  });

  it('keeps module types apart from module instances', async () => {
    const bearer = await token();
    await api('POST', 'module-instance', instance, bearer);
    expect(await api('GET', 'module-type', undefined, bearer)).toEqual({ status: 200, body: [] });
  });

  it.each<[string, unknown, string]>([
    ['an array', [instance], 'The body must be a JSON object'],
    ['no name', { ...instance, name: '' }, 'name must be a non-empty string'],
    [
      'an unknown auth-type',
      { ...instance, settings: { ...instance.settings, 'auth-type': 'magic' } },
      'settings.auth-type must be one of authorization-header, configuration-token',
    ],
    [
      'no authorization-header',
      { ...instance, settings: { ...instance.settings, 'authorization-header': undefined } },
      'settings.authorization-header is required with auth-type authorization-header',
    ],
    [
      'an unknown supported API',
      { ...instance, settings: { ...instance.settings, 'supported-apis': ['enrich'] } },
      'settings.supported-apis: "enrich" is not a supported API',
    ],
  ])('refuses an instance with %s (400)', async (_name, body, description) => {
    expect(await api('POST', 'module-instance', body)).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: description },
    });
    expect(simulator.items('module-instance')).toEqual([]);
  });

  it('validates the result of a PATCH, keeping the stored item on refusal', async () => {
    const bearer = await token();
    const { id } = (await api('POST', 'module-instance', instance, bearer)).body as { id: string };
    expect(
      await api('PATCH', `module-instance/${id}`, { settings: { url: 'nope' } }, bearer),
    ).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'settings.url must be an http(s) URL' },
    });
    expect(simulator.items('module-instance')).toEqual([{ ...instance, id }]);
  });

  it('answers 401 without a valid token, and 403 without the integration scope', async () => {
    expect(await api('GET', 'module-type', undefined, 'forged')).toEqual({
      status: 401,
      body: { error: 'invalid_token' },
    });
    simulator.setScopes(['integration:read']);
    const reader = await token();
    expect(await api('GET', 'module-type', undefined, reader)).toEqual({ status: 200, body: [] });
    expect(await api('POST', 'module-instance', instance, reader)).toEqual({
      status: 403,
      body: {
        error: 'insufficient_scope',
        error_description: 'Managing modules needs the integration scope (write)',
      },
    });
  });

  it('records every request, bodies included', async () => {
    const bearer = await token();
    await api('POST', 'module-instance', instance, bearer);
    expect(simulator.requests().map(({ method, path, body }) => [method, path, body])).toEqual([
      ['POST', '/iroh/oauth2/token', 'grant_type=client_credentials'],
      ['POST', '/iroh/iroh-int/module-instance', JSON.stringify(instance)],
    ]);
  });
});

describe('TR simulator: fault knobs', () => {
  it('answers an injected status N times, on the API only', async () => {
    simulator.injectFault({ on: 'api', kind: 'status', status: 500, times: 1 });
    const bearer = await token();
    expect(await api('GET', 'module-type', undefined, bearer)).toEqual({
      status: 500,
      body: { error: 'simulated 500' },
    });
    expect(await api('GET', 'module-type', undefined, bearer)).toEqual({ status: 200, body: [] });
  });

  it('answers malformed JSON', async () => {
    simulator.injectFault({ on: 'token', kind: 'malformed-json' });
    const response = await fetch(`${simulator.url}/iroh/oauth2/token`, { method: 'POST' });
    expect([response.status, response.headers.get('content-type'), await response.text()]).toEqual([
      200,
      'application/json',
      '[{"id": "truncated',
    ]);
  });

  it('refuses an invalid fault', () => {
    expect(() => simulator.injectFault({ kind: 'status', status: 99 })).toThrow(
      'a status fault needs a status from 200 to 599',
    );
  });

  it('closes even while a slow answer is pending', async () => {
    const slow = await startTrSimulator({ latencyMs: 60_000 });
    const pending = fetch(`${slow.url}/iroh/oauth2/token`, { method: 'POST' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await slow.close();
    await expect(pending).rejects.toThrow('fetch failed');
  });
});
