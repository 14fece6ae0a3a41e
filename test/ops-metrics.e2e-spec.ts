import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

/** `name{labels}` → value, from the Prometheus text exposition format. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1], Number(match[2]));
  }
  return samples;
}

describe('GET /metrics (issue #5.4)', () => {
  let relay: RelayHarness;
  let other: RelayHarness;
  let samples: Map<string, number>;
  let contentType: string | undefined;

  beforeAll(async () => {
    relay = await startRelayHarness({ env: { QUALYS_RETRIES: '0' } });
    other = await startRelayHarness();
    const auth = `Bearer ${await relay.token()}`;
    const wrongPassword = `Bearer ${await relay.token({ pass: 'wrong-password' })}`;

    // One observable: two concurrent searches sharing one token fetch.
    await request(relay.url)
      .post('/observe/observables')
      .set('Authorization', auth)
      .send([{ type: 'sha256', value: SIMULATOR_VALUES.sha256 }])
      .expect(200);
    await request(relay.url)
      .post('/health')
      .set('Authorization', auth)
      .expect(200, { data: { status: 'ok' } });
    await request(relay.url).post('/health').set('Authorization', wrongPassword).expect(200);
    relay.simulator.injectFault({ on: 'search', kind: 'status', status: 503, times: 1 });
    await request(relay.url).post('/health').set('Authorization', auth).expect(200);
    await request(relay.url).get('/no/such/route').expect(404);
    await request(relay.url).get('/healthz/ready').expect(200);

    const response = await request(relay.url).get('/metrics').expect(200);
    contentType = response.headers['content-type'];
    samples = parseExposition(response.text);
  });
  afterAll(async () => {
    await relay.close();
    await other.close();
  });

  it('answers the Prometheus text format without a JWT', () => {
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('counts requests per method, route template and status', () => {
    const requests = [...samples].filter(([name]) => name.startsWith('relay_http_requests_total{'));
    expect(Object.fromEntries(requests)).toEqual({
      'relay_http_requests_total{method="POST",route="/observe/observables",status="200"}': 1,
      'relay_http_requests_total{method="POST",route="/health",status="200"}': 3,
      'relay_http_requests_total{method="GET",route="unmatched",status="404"}': 1,
      'relay_http_requests_total{method="GET",route="/healthz/ready",status="200"}': 1,
    });
  });

  it('times requests in a histogram with the same labels', () => {
    expect(
      samples.get(
        'relay_http_request_duration_seconds_count{method="POST",route="/health",status="200"}',
      ),
    ).toBe(3);
    expect(
      samples.get(
        'relay_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/observe/observables",status="200"}',
      ),
    ).toBe(1);
    // The scrape itself is the one request in flight.
    expect(samples.get('relay_http_requests_in_flight')).toBe(1);
  });

  it('counts and times Qualys calls by operation and outcome', () => {
    const calls = [...samples].filter(([name]) => name.startsWith('relay_qualys_calls_total{'));
    expect(Object.fromEntries(calls)).toEqual({
      'relay_qualys_calls_total{operation="auth",outcome="success"}': 1,
      'relay_qualys_calls_total{operation="auth",outcome="unauthorized"}': 1,
      'relay_qualys_calls_total{operation="search",outcome="success"}': 3,
      'relay_qualys_calls_total{operation="search",outcome="unavailable"}': 1,
    });
    expect(
      samples.get('relay_qualys_call_duration_seconds_count{operation="search",outcome="success"}'),
    ).toBe(3);
    expect(samples.get('relay_qualys_searches_in_flight')).toBe(0);
  });

  it('counts token cache hits, misses and shared fetches', () => {
    expect(samples.get('relay_qualys_token_cache_lookups_total{result="miss"}')).toBe(2);
    expect(samples.get('relay_qualys_token_cache_lookups_total{result="shared"}')).toBe(1);
    expect(samples.get('relay_qualys_token_cache_lookups_total{result="hit"}')).toBe(2);
  });

  it('includes the default process metrics', () => {
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(samples.get(name)).toEqual(expect.any(Number));
    }
  });

  it('keeps a registry per application instance', async () => {
    const response = await request(other.url).get('/metrics').expect(200);
    const otherSamples = parseExposition(response.text);
    expect(
      [...otherSamples.keys()].filter((name) => name.startsWith('relay_http_requests_total{')),
    ).toEqual([]);
    expect(
      [...otherSamples.keys()].filter((name) => name.startsWith('relay_qualys_calls_total{')),
    ).toEqual([]);
  });
});
