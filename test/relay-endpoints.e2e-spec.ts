import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

const V = SIMULATOR_VALUES;
const invalid = (details: string) => ({
  errors: [
    {
      type: 'fatal',
      code: 'invalid argument',
      message: `Invalid JSON payload received. ${details}`,
    },
  ],
});

describe('relay endpoints (spec §2, §6)', () => {
  let relay: RelayHarness;
  let auth: string;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: { RELAY_MAX_OBSERVABLES: '5', RELAY_BODY_LIMIT_BYTES: '4096' },
    });
    auth = `Bearer ${await relay.token()}`;
  });
  afterAll(() => relay.close());

  const post = (path: string) => request(relay.url).post(path).set('Authorization', auth);

  it('POST /refer/observables answers one pivot link per supported observable, without calling Qualys', async () => {
    relay.simulator.resetStats();
    const response = await post('/refer/observables')
      .send([
        { type: 'sha256', value: V.sha256 },
        { type: 'file_path', value: 'C:\\Temp\\a b.exe' },
        { type: 'ip', value: '203.0.113.66' },
        { type: 'url', value: 'https://skipped.example' },
      ])
      .expect(200);
    const base = relay.simulator.url;
    expect(response.body).toEqual({
      data: [
        {
          id: `ref-qualys-search-sha256-${V.sha256}`,
          title: 'Search for this SHA256',
          description: 'Check this SHA256 status with Qualys',
          url: `${base}/ioc/#/hunting?search=file.hash.sha256%3A%20%22${V.sha256}%22`,
          categories: ['Search', 'Qualys'],
        },
        {
          id: 'ref-qualys-search-file_path-C%3A%5CTemp%5Ca%20b.exe',
          title: 'Search for this file path',
          description: 'Check this file path status with Qualys',
          url: `${base}/ioc/#/hunting?search=file.fullPath%3A%20%22C%3A%5C%5CTemp%5C%5Ca%20b.exe%22`,
          categories: ['Search', 'Qualys'],
        },
        {
          id: 'ref-qualys-search-ip-203.0.113.66',
          title: 'Search for this IP',
          description: 'Check this IP status with Qualys',
          url: `${base}/ioc/#/hunting?search=network.local.address.ip%3A%20%22203.0.113.66%22%20or%20network.remote.address.ip%3A%20%22203.0.113.66%22`,
          categories: ['Search', 'Qualys'],
        },
      ],
    });
    expect(relay.simulator.stats.authCalls + relay.simulator.stats.searchCalls).toBe(0);
  });

  it('POST /deliberate/observables answers {"data":{}}', async () => {
    await post('/deliberate/observables')
      .send([{ type: 'ip', value: '1.2.3.4' }])
      .expect(200, { data: {} });
  });

  it('POST /respond/observables answers {"data":[]}', async () => {
    await post('/respond/observables')
      .send([{ type: 'ip', value: '1.2.3.4' }])
      .expect(200, { data: [] });
  });

  it('POST /respond/trigger answers a failure status', async () => {
    await post('/respond/trigger')
      .send({ action_id: 'x', observable_type: 'ip', observable_value: '1.2.3.4' })
      .expect(200, { data: { status: 'failure' } });
  });

  it('POST /health checks Qualys with one active search of page size 1', async () => {
    relay.simulator.resetStats();
    await post('/health').expect(200, { data: { status: 'ok' } });
    expect(
      relay.simulator.stats.requests.filter((r) => r.path === '/ioc/events').map((r) => r.query),
    ).toEqual([{ pageSize: '1', state: 'true' }]);
  });

  it('POST /health reports bad Qualys credentials', async () => {
    const token = await relay.token({ pass: 'wrong-password' });
    await request(relay.url)
      .post('/health')
      .set('Authorization', `Bearer ${token}`)
      .expect(200, {
        errors: [
          {
            type: 'fatal',
            code: 'authorization error',
            message: 'Authorization failed: InvalidCredentialsException',
          },
        ],
      });
  });

  it('POST /version needs no JWT', async () => {
    const { version } = (await import('../package.json', { with: { type: 'json' } })).default;
    await request(relay.url).post('/version').expect(200, { version });
  });

  it('GET /watchdog echoes the Health-Check header without a JWT', async () => {
    await request(relay.url)
      .get('/watchdog')
      .set('Health-Check', 'ping-42')
      .expect(200, { data: 'ping-42' });
  });

  it('GET /watchdog without the header answers the health check failed envelope', async () => {
    await request(relay.url)
      .get('/watchdog')
      .expect(200, {
        errors: [
          {
            type: 'fatal',
            code: 'health check failed',
            message: 'Invalid Health-Check request: the Health-Check header is missing',
          },
        ],
      });
  });

  it('answers an unknown route with a 404 envelope that does not echo the path', async () => {
    await post('/observe/nothing')
      .send([])
      .expect(404, { errors: [{ type: 'fatal', code: 'not found', message: 'Route not found' }] });
    await request(relay.url)
      .get(`/<script>alert(1)</script>`)
      .expect(404, { errors: [{ type: 'fatal', code: 'not found', message: 'Route not found' }] });
  });

  describe('request body validation (spec §2)', () => {
    it.each<[string, unknown, string]>([
      [
        'an object',
        { type: 'ip', value: '1.1.1.1' },
        'The request body must be a JSON array of observables.',
      ],
      ['a string', '"ip"', 'The request body must be a JSON array of observables.'],
      ['null item', [null], '[0] must be an object with type and value'],
      ['missing value', [{ type: 'ip' }], '[0].value is required'],
      ['blank type', [{ type: '', value: 'x' }], '[0].type must not be empty'],
      ['non-string value', [{ type: 'ip', value: 42 }], '[0].value must be a string'],
      [
        'several bad items',
        [{ type: 'ip', value: 'ok' }, { value: 'x' }, { type: 'ip', value: '' }],
        '[1].type is required; [2].value must not be empty',
      ],
      [
        'too many observables',
        Array.from({ length: 6 }, () => ({ type: 'ip', value: '1.1.1.1' })),
        'At most 5 observables are accepted per request; got 6.',
      ],
    ])('rejects %s with invalid argument', async (_name, body, details) => {
      const payload = typeof body === 'string' ? body : JSON.stringify(body);
      await post('/observe/observables')
        .set('Content-Type', 'application/json')
        .send(payload)
        .expect(200, invalid(details));
    });

    describe.each([
      '/observe/observables',
      '/refer/observables',
      '/deliberate/observables',
      '/respond/observables',
    ])('%s', (path) => {
      it.each<[string, unknown, string]>([
        [
          'a lone surrogate in a value',
          [{ type: 'ip', value: 'a\ud800b' }],
          '[0].value must be well-formed Unicode (no lone surrogates)',
        ],
        [
          'a lone low surrogate in a type',
          [
            { type: 'sha256', value: V.sha256 },
            { type: 'ip\udc00', value: '1.1.1.1' },
          ],
          '[1].type must be well-formed Unicode (no lone surrogates)',
        ],
        [
          'a reversed surrogate pair',
          [{ type: 'file_name', value: '\udc00\ud800' }],
          '[0].value must be well-formed Unicode (no lone surrogates)',
        ],
      ])('rejects %s with invalid argument naming the item', async (_name, body, details) => {
        relay.simulator.resetStats();
        // JSON.stringify escapes lone surrogates (\ud800), as a client's JSON would carry them.
        await post(path)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(body))
          .expect(200, invalid(details));
        expect(relay.simulator.stats.requests).toEqual([]);
      });
    });

    it('accepts a well-formed value with a surrogate pair (an emoji)', async () => {
      const response = await post('/refer/observables')
        .send([{ type: 'file_name', value: 'a\ud83d\ude00b.exe' }])
        .expect(200);
      expect((response.body as { data: { id: string }[] }).data.map((link) => link.id)).toEqual([
        'ref-qualys-search-file_name-a%F0%9F%98%80b.exe',
      ]);
    });

    it('rejects malformed JSON', async () => {
      await post('/refer/observables')
        .set('Content-Type', 'application/json')
        .send('[{"type": "ip", ')
        .expect(200, invalid('The request body is not valid JSON.'));
    });

    it('rejects a gzip body that does not inflate', async () => {
      await post('/observe/observables')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send('this is not gzip')
        .expect(200, invalid('The request body could not be read.'));
    });

    it('rejects a body over the size limit', async () => {
      const big = JSON.stringify([{ type: 'ip', value: 'x'.repeat(5000) }]);
      await post('/observe/observables')
        .set('Content-Type', 'application/json')
        .send(big)
        .expect(200, invalid('The request body is too large.'));
    });
  });
});
