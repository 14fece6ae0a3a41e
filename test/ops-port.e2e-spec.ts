import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { OpsServer } from '../src/health/ops-server.js';
import { freePort } from '../tools/lib/free-port.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

/**
 * Spec §14, the operations port: with OPS_PORT, metrics, probes and docs
 * answer there and only there, relay routes on the relay port only; the
 * Swagger UI's "Try it out" targets the relay port; DOCS_ENABLED=false
 * turns the docs off.
 */
/** Unknown routes answer without echoing the path (spec §15). */
const NOT_FOUND = { errors: [{ type: 'fatal', code: 'not found', message: 'Route not found' }] };

describe('OPS_PORT set', () => {
  let relay: RelayHarness;
  let opsUrl: string;
  let opsPort: number;

  beforeAll(async () => {
    opsPort = await freePort();
    relay = await startRelayHarness({ env: { OPS_PORT: String(opsPort) } });
    const address = await relay.app.get(OpsServer).listen();
    opsUrl = `http://127.0.0.1:${address?.port}`;
  });

  afterAll(async () => {
    await relay?.close();
  });

  it.each(['/metrics', '/healthz/live', '/healthz/ready', '/docs', '/docs-json'])(
    'answers %s on the operations port only',
    async (path) => {
      await request(relay.url).get(path).expect(404, NOT_FOUND);
      await request(opsUrl).get(path).expect(200);
    },
  );

  it('serves the relay routes on the relay port only', async () => {
    const token = await relay.token();
    const observables = [{ type: 'ip', value: '203.0.113.9' }];
    await request(opsUrl)
      .post('/observe/observables')
      .set('Authorization', `Bearer ${token}`)
      .send(observables)
      .expect(404, NOT_FOUND);
    await request(relay.url)
      .post('/observe/observables')
      .set('Authorization', `Bearer ${token}`)
      .send(observables)
      .expect(200, { data: {} });
  });

  it('counts the relay port’s requests in the metrics of the operations port', async () => {
    const metrics = (await request(opsUrl).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(
      /relay_http_requests_total\{method="POST",route="\/observe\/observables",status="200"\} 1/,
    );
  });

  it('names the relay port in the OpenAPI servers, so "Try it out" calls it', async () => {
    const relayPort = new URL(relay.url).port;
    const document = (await request(opsUrl).get('/docs-json').expect(200)).body as {
      servers?: unknown;
    };
    expect(document.servers).toEqual([
      { url: `http://127.0.0.1:${relayPort}`, description: 'The relay routes' },
    ]);
    const init = (await request(opsUrl).get('/docs/swagger-ui-init.js').expect(200)).text;
    expect(init).toContain(`"url": "http://127.0.0.1:${relayPort}"`);
    // A Host header that is not a plain host name never reaches the document.
    const odd = (await request(opsUrl).get('/docs-json').set('Host', 'evil"host:1').expect(200))
      .body as { servers?: unknown };
    expect(odd.servers).toEqual([
      { url: `http://localhost:${relayPort}`, description: 'The relay routes' },
    ]);
  });

  it('closes the operations port when the application closes', async () => {
    const other = await startRelayHarness({ env: { OPS_PORT: String(await freePort()) } });
    const address = await other.app.get(OpsServer).listen();
    const url = `http://127.0.0.1:${address?.port}`;
    await request(url).get('/healthz/live').expect(200);
    await other.close();
    await expect(request(url).get('/healthz/live')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('DOCS_ENABLED=false', () => {
  let relay: RelayHarness;

  beforeAll(async () => {
    relay = await startRelayHarness({ env: { DOCS_ENABLED: 'false' } });
  });

  afterAll(async () => {
    await relay?.close();
  });

  it.each(['/docs', '/docs-json'])('answers %s with 404', async (path) => {
    await request(relay.url).get(path).expect(404, NOT_FOUND);
  });

  it('keeps metrics and probes on the one port (no OPS_PORT)', async () => {
    await request(relay.url).get('/metrics').expect(200);
    await request(relay.url).get('/healthz/ready').expect(200);
  });
});
