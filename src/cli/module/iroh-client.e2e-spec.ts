import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  startTrSimulator,
  TR_SIMULATOR_CLIENT_ID,
  TR_SIMULATOR_CLIENT_PASSWORD,
  type TrSimulator,
} from '../../../tools/tr-simulator/tr-simulator.js';
import { IrohClient, TrApiError } from './iroh-client.js';

let simulator: TrSimulator;
let client: IrohClient;

const instance = {
  name: 'Qualys IOC',
  module_type_id: 'a14ae422-01b6-5013-9876-695ff1b0ebe0',
  visibility: 'org',
  settings: {
    url: 'https://relay.example.com',
    'auth-type': 'authorization-header',
    'authorization-header': 'Bearer eyJh.eyJp.sig',
    'supported-apis': ['health'],
  },
};

beforeAll(async () => {
  simulator = await startTrSimulator();
  client = new IrohClient({ baseUrl: simulator.url, timeoutMs: 5000 });
});
afterEach(() => simulator.reset());
afterAll(() => simulator.close());

const login = () => client.login(TR_SIMULATOR_CLIENT_ID, TR_SIMULATOR_CLIENT_PASSWORD);

describe('IrohClient', () => {
  it('logs in with client credentials: Basic auth, form body, JSON accepted', async () => {
    const session = await login();
    expect(simulator.issuedTokens()).toEqual([session.accessToken]);
    const [token] = simulator.requests();
    expect({
      method: token.method,
      path: token.path,
      body: token.body,
      authorization: token.headers.authorization,
      contentType: token.headers['content-type'],
      accept: token.headers.accept,
    }).toEqual({
      method: 'POST',
      path: '/iroh/oauth2/token',
      body: 'grant_type=client_credentials',
      authorization: `Basic ${Buffer.from(`${TR_SIMULATOR_CLIENT_ID}:${TR_SIMULATOR_CLIENT_PASSWORD}`).toString('base64')}`,
      contentType: 'application/x-www-form-urlencoded',
      accept: 'application/json',
    });
    expect(token.headers['user-agent']).toMatch(/^qualys-ioc-relay-module-cli\/\d+\.\d+\.\d+$/);
  });

  it('lists, creates, reads, patches and removes with the bearer token', async () => {
    const session = await login();
    const created = await session.create('module-instance', instance);
    expect(created).toEqual({ ...instance, id: expect.any(String) });
    expect(await session.list('module-instance')).toEqual([created]);
    await session.patch('module-instance', created.id, { visibility: 'user' });
    expect(await session.get('module-instance', created.id)).toEqual({
      ...created,
      visibility: 'user',
    });
    await session.remove('module-instance', created.id);
    expect(await session.get('module-instance', created.id)).toBeUndefined();
    const apiCalls = simulator.requests().slice(1);
    expect(apiCalls.map(({ method, path }) => `${method} ${path}`)).toEqual([
      'POST /iroh/iroh-int/module-instance',
      'GET /iroh/iroh-int/module-instance',
      `PATCH /iroh/iroh-int/module-instance/${created.id}`,
      `GET /iroh/iroh-int/module-instance/${created.id}`,
      `DELETE /iroh/iroh-int/module-instance/${created.id}`,
      `GET /iroh/iroh-int/module-instance/${created.id}`,
    ]);
    expect(new Set(apiCalls.map(({ headers }) => headers.authorization))).toEqual(
      new Set([`Bearer ${session.accessToken}`]),
    );
  });

  it('says the client credentials were refused on 401', async () => {
    await expect(client.login(TR_SIMULATOR_CLIENT_ID, 'wrong')).rejects.toEqual(
      new TrApiError(
        'Threat Response refused the API client credentials (HTTP 401): check TR_API_CLIENT_ID and TR_API_CLIENT_PASSWORD.',
      ),
    );
  });

  it('names the missing scope on 403', async () => {
    simulator.setScopes(['integration:read']);
    const session = await login();
    await expect(session.list('module-type')).resolves.toEqual([]);
    await expect(session.create('module-instance', instance)).rejects.toEqual(
      new TrApiError(
        'Threat Response denied POST /iroh/iroh-int/module-instance (HTTP 403): the API client lacks a scope; give it the Integration scope (read and write).',
      ),
    );
  });

  it('says the access token was refused on a 401 from the API', async () => {
    const session = await login();
    simulator.injectFault({ on: 'api', kind: 'status', status: 401 });
    await expect(session.list('module-instance')).rejects.toEqual(
      new TrApiError(
        'Threat Response refused the access token for GET /iroh/iroh-int/module-instance (HTTP 401); try again.',
      ),
    );
  });

  it('quotes an unexpected answer on one line, at most 200 characters, tokens masked', async () => {
    const session = await login();
    const body = `Upstream\n\n failure ${session.accessToken} ${'x'.repeat(300)}`;
    simulator.injectFault({ on: 'api', kind: 'status', status: 502, body });
    const expected = `Upstream failure *** ${'x'.repeat(200 - 'Upstream failure *** '.length)}…`;
    await expect(session.list('module-instance')).rejects.toEqual(
      new TrApiError(
        `Threat Response answered HTTP 502 to GET /iroh/iroh-int/module-instance: ${expected}`,
      ),
    );
  });

  it('says when an error answer is empty', async () => {
    const session = await login();
    simulator.injectFault({ on: 'api', kind: 'status', status: 500, body: '' });
    await expect(session.remove('module-type', 'x')).rejects.toEqual(
      new TrApiError('Threat Response answered HTTP 500 to DELETE /iroh/iroh-int/module-type/x.'),
    );
  });

  it.each<[string, () => void, string]>([
    [
      'malformed JSON',
      () => simulator.injectFault({ on: 'api', kind: 'malformed-json' }),
      'not JSON',
    ],
    [
      'a list of items without ids',
      () =>
        simulator.injectFault({ on: 'api', kind: 'status', status: 200, body: '[{"name":"x"}]' }),
      'not a list of items with an id',
    ],
  ])('refuses %s', async (_name, inject, what) => {
    const session = await login();
    inject();
    await expect(session.list('module-instance')).rejects.toEqual(
      new TrApiError(
        `Threat Response sent a malformed answer to GET /iroh/iroh-int/module-instance (${what}).`,
      ),
    );
  });

  it('refuses a token answer without an access token', async () => {
    simulator.injectFault({
      on: 'token',
      kind: 'status',
      status: 200,
      body: '{"token_type":"bearer"}',
    });
    await expect(login()).rejects.toEqual(
      new TrApiError(
        'Threat Response sent a malformed answer to POST /iroh/oauth2/token (no access_token).',
      ),
    );
  });

  it('names the timeout it gave up after', async () => {
    simulator.setLatency(5000);
    const impatient = new IrohClient({ baseUrl: simulator.url, timeoutMs: 300 });
    await expect(impatient.login('a', 'b')).rejects.toEqual(
      new TrApiError(
        'Threat Response did not answer POST /iroh/oauth2/token within 300 ms (TR_API_TIMEOUT_MS).',
      ),
    );
  });

  it('names the API it cannot reach', async () => {
    const gone = await startTrSimulator();
    await gone.close();
    const unreachable = new IrohClient({ baseUrl: gone.url, timeoutMs: 5000 });
    await expect(unreachable.login('a', 'b')).rejects.toEqual(
      new TrApiError(
        `Cannot reach the Threat Response API at ${gone.url} (ECONNREFUSED) for POST /iroh/oauth2/token.`,
      ),
    );
  });
});
