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
