import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

const LIVE = {
  status: 'ok',
  info: { process: { status: 'up' } },
  error: {},
  details: { process: { status: 'up' } },
};
describe('Kubernetes probes and the relay /health (issue #5.1)', () => {
  let relay: RelayHarness;
  let unhealthy: RelayHarness;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: { READINESS_MAX_HEAP_USED_MB: '65536', QUALYS_RETRIES: '0' },
    });
    // A heap threshold nothing can stay under: readiness must fail.
    unhealthy = await startRelayHarness({ env: { READINESS_MAX_HEAP_USED_MB: '1' } });
  });
  afterAll(async () => {
    await relay.close();
    await unhealthy.close();
  });

  it('GET /healthz/live answers the process check without a JWT, uncached', async () => {
    const response = await request(relay.url).get('/healthz/live').expect(200);
    expect(response.body).toEqual(LIVE);
    expect(response.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
  });

  it('GET /healthz/ready answers ok and nothing else: no figures, no configuration', async () => {
    const response = await request(relay.url).get('/healthz/ready').expect(200);
    expect(response.body).toEqual({ status: 'ok' });
    expect(response.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
  });

  it('failing readiness answers 503 with the names of the failing checks only', async () => {
    const response = await request(unhealthy.url).get('/healthz/ready').expect(503);
    expect(response.body).toEqual({ status: 'error', failing: ['heap'] });
    // Liveness does not care: restarting a busy pod would not help.
    await request(unhealthy.url).get('/healthz/live').expect(200, LIVE);
  });

  it('probes never call Qualys', async () => {
    relay.simulator.resetStats();
    await request(relay.url).get('/healthz/live').expect(200);
    await request(relay.url).get('/healthz/ready').expect(200);
    expect(relay.simulator.stats.requests).toEqual([]);
  });

  it("POST /health is a Terminus indicator with the caller's credentials: ok", async () => {
    relay.simulator.resetStats();
    await request(relay.url)
      .post('/health')
      .set('Authorization', `Bearer ${await relay.token()}`)
      .expect(200, { data: { status: 'ok' } });
    expect(relay.simulator.stats.requests.map((r) => [r.method, r.path, r.query])).toEqual([
      ['POST', '/auth', {}],
      ['GET', '/ioc/events', { pageSize: '1', state: 'true' }],
    ]);
  });

  it("POST /health keeps the Qualys client's error code and message exactly", async () => {
    relay.simulator.injectFault({ on: 'search', kind: 'status', status: 503, times: 1 });
    await request(relay.url)
      .post('/health')
      .set('Authorization', `Bearer ${await relay.token()}`)
      .expect(200, {
        errors: [
          {
            type: 'fatal',
            code: 'service unavailable',
            message: 'Service temporarily unavailable. Please try again later.',
          },
        ],
      });
    relay.simulator.clearFaults();
  });

  it('POST /health without a JWT is refused by the guard, not checked against Qualys', async () => {
    relay.simulator.resetStats();
    await request(relay.url)
      .post('/health')
      .expect(200, {
        errors: [
          {
            type: 'fatal',
            code: 'authorization error',
            message: 'Authorization failed: Authorization header is missing',
          },
        ],
      });
    expect(relay.simulator.stats.requests).toEqual([]);
  });
});
