import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

const TOO_MANY = {
  errors: [
    {
      type: 'fatal',
      code: 'too many requests',
      message: 'Too many requests. Please try again later.',
    },
  ],
};
const observables = [{ type: 'ip', value: '198.51.100.7' }];

describe('security headers and the per-client rate limit (issue #5.6)', () => {
  let limited: RelayHarness;
  let unlimited: RelayHarness;

  beforeAll(async () => {
    limited = await startRelayHarness({ env: { RATE_LIMIT_PER_MINUTE: '2' } });
    unlimited = await startRelayHarness();
  });
  afterAll(async () => {
    await limited.close();
    await unlimited.close();
  });

  it('sets helmet security headers on relay routes, without X-Powered-By', async () => {
    const response = await request(unlimited.url).post('/version').expect(200);
    expect(response.headers).toMatchObject({
      'content-security-policy':
        "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';" +
        "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('is off by default: Threat Response traffic is never limited unless the operator asks', async () => {
    const auth = `Bearer ${await unlimited.token()}`;
    for (let i = 0; i < 5; i++) {
      await request(unlimited.url)
        .post('/refer/observables')
        .set('Authorization', auth)
        .send(observables)
        .expect(200);
    }
  });

  it('answers HTTP 429 with the relay envelope and Retry-After once a client exceeds RATE_LIMIT_PER_MINUTE', async () => {
    const auth = `Bearer ${await limited.token()}`;
    const post = () =>
      request(limited.url).post('/refer/observables').set('Authorization', auth).send(observables);
    await post().expect(200);
    await post().expect(200);
    const response = await post().expect(429);
    expect(response.body).toEqual(TOO_MANY);
    // Two per minute: the next token arrives within 30 seconds.
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(29);
    expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(30);
    // Throttling answers before authentication: a flood of bad tokens is limited too.
    await request(limited.url).post('/refer/observables').send(observables).expect(429, TOO_MANY);
  });

  it('never limits the probes or the metrics scrape', async () => {
    for (let i = 0; i < 4; i++) {
      await request(limited.url).get('/healthz/live').expect(200);
      await request(limited.url).get('/healthz/ready').expect(200);
      await request(limited.url).get('/metrics').expect(200);
    }
  });
});

describe('TRUST_PROXY_HOPS: whose address the per-client limit counts', () => {
  let direct: RelayHarness;
  let behindIngress: RelayHarness;

  beforeAll(async () => {
    // One request per minute per client: the second from the same client is refused.
    direct = await startRelayHarness({ env: { RATE_LIMIT_PER_MINUTE: '1' } });
    behindIngress = await startRelayHarness({
      env: { RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY_HOPS: '1' },
    });
  });
  afterAll(async () => {
    await direct.close();
    await behindIngress.close();
  });

  const statusFrom = (relay: RelayHarness, forwardedFor: string) =>
    request(relay.url)
      .post('/version')
      .set('X-Forwarded-For', forwardedFor)
      .then((response) => response.status);

  it('ignores X-Forwarded-For by default: every request comes from the socket address', async () => {
    expect([
      await statusFrom(direct, '203.0.113.1'),
      await statusFrom(direct, '203.0.113.2'),
    ]).toEqual([200, 429]);
  });

  it('trusts exactly one hop: the ingress-appended address is the client, a forged one is not', async () => {
    expect([
      await statusFrom(behindIngress, '203.0.113.1'),
      // Another client behind the same ingress has its own allowance.
      await statusFrom(behindIngress, '203.0.113.2'),
      // A client that forges an entry in front of its real address is still itself.
      await statusFrom(behindIngress, '198.51.100.9, 203.0.113.1'),
    ]).toEqual([200, 200, 429]);
  });
});
