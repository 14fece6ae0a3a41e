import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, HttpCode, Param, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seriesOf } from '../../test/support/prometheus-text.js';
import { RelayMetrics } from './metrics.js';

/** Every relay series: name and type, as the exposition declares them. */
const RELAY_SERIES = [
  ['relay_http_requests_total', 'counter'],
  ['relay_http_request_duration_seconds', 'histogram'],
  ['relay_http_requests_in_flight', 'gauge'],
  ['relay_qualys_calls_total', 'counter'],
  ['relay_qualys_call_duration_seconds', 'histogram'],
  ['relay_qualys_token_cache_lookups_total', 'counter'],
  ['relay_qualys_searches_in_flight', 'gauge'],
  ['relay_qualys_queued_calls', 'gauge'],
  ['relay_qualys_refusals_total', 'counter'],
  ['relay_qualys_cache_lookups_total', 'counter'],
  ['relay_qualys_batch_answers_total', 'counter'],
  ['relay_qualys_observables_settled_total', 'counter'],
  ['relay_qualys_rate_budget_remaining_min', 'gauge'],
  ['relay_qualys_rate_budget_subscriptions', 'gauge'],
  ['relay_redis_state', 'gauge'],
];

const HOUR_MS = 60 * 60 * 1000;

/** Lets a test decide when a request in flight answers. */
let releaseSlow: () => void = () => undefined;

@Controller('things')
class ThingsController {
  @Get('slow')
  slow(): Promise<string> {
    return new Promise((resolve) => (releaseSlow = () => resolve('done')));
  }

  @Get(':id')
  @HttpCode(203)
  one(@Param('id') id: string): string {
    return id;
  }
}

/** An app with the metrics middleware mounted as `createApp` mounts it. */
async function startApp(metrics: RelayMetrics): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ controllers: [ThingsController] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
  app.use(metrics.middleware);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

/** One request over a fresh connection, any method; resolves with the status once the body is read. */
function send(method: string, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { method, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describe('RelayMetrics', () => {
  let metrics: RelayMetrics;
  const exposition = () => metrics.exposition();
  const series = async (name: string) => seriesOf(await exposition(), name);

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('declares each relay series once, with its type, next to the process defaults', async () => {
    metrics = new RelayMetrics();
    const text = await exposition();
    const declared = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => [
      name,
      type,
    ]);
    expect(declared.filter(([name]) => name.startsWith('relay_'))).toEqual(RELAY_SERIES);
    expect(declared).toEqual(
      expect.arrayContaining([
        ['process_resident_memory_bytes', 'gauge'],
        ['nodejs_heap_size_used_bytes', 'gauge'],
      ]),
    );
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  describe('HTTP requests (the middleware)', () => {
    let app: INestApplication | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    it('counts and times each answer by method, route template and status', async () => {
      metrics = new RelayMetrics();
      const started = await startApp(metrics);
      app = started.app;
      const statuses = [
        await send('GET', `${started.url}/things/1`),
        await send('GET', `${started.url}/things/2`),
        await send('GET', `${started.url}/no/such/route`),
        await send('PROPFIND', `${started.url}/things/3`),
      ];
      expect(statuses).toEqual([203, 203, 404, 404]);
      expect(await series('relay_http_requests_total')).toEqual({
        'method="GET",route="/things/:id",status="203"': 2,
        'method="GET",route="unmatched",status="404"': 1,
        'method="OTHER",route="unmatched",status="404"': 1,
      });
      expect(await series('relay_http_request_duration_seconds_count')).toEqual({
        'method="GET",route="/things/:id",status="203"': 2,
        'method="GET",route="unmatched",status="404"': 1,
        'method="OTHER",route="unmatched",status="404"': 1,
      });
      expect(await series('relay_http_requests_in_flight')).toEqual({ '': 0 });
    });

    it('counts a request in flight until it answers', async () => {
      metrics = new RelayMetrics();
      const started = await startApp(metrics);
      app = started.app;
      const slow = send('GET', `${started.url}/things/slow`);
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          void series('relay_http_requests_in_flight').then((samples) => {
            if (samples[''] === 1) {
              clearInterval(poll);
              resolve();
            }
          });
        }, 5);
      });
      expect(await series('relay_http_requests_total')).toEqual({});
      releaseSlow();
      expect(await slow).toBe(200);
      expect(await series('relay_http_requests_in_flight')).toEqual({ '': 0 });
      expect(await series('relay_http_requests_total')).toEqual({
        'method="GET",route="/things/slow",status="200"': 1,
      });
    });
  });

  describe('Qualys calls (the observer)', () => {
    it('counts and times each call by operation and outcome', async () => {
      metrics = new RelayMetrics();
      metrics.call('search', 'success', 0.2);
      metrics.call('search', 'success', 0.3);
      metrics.call('auth', 'unauthorized', 0.01);
      expect(await series('relay_qualys_calls_total')).toEqual({
        'operation="search",outcome="success"': 2,
        'operation="auth",outcome="unauthorized"': 1,
      });
      expect(await series('relay_qualys_call_duration_seconds_sum')).toEqual({
        'operation="search",outcome="success"': 0.5,
        'operation="auth",outcome="unauthorized"': 0.01,
      });
      const buckets = await series('relay_qualys_call_duration_seconds_bucket');
      expect(
        ['0.1', '0.25', '0.5'].map(
          (le) => buckets[`le="${le}",operation="search",outcome="success"`],
        ),
      ).toEqual([0, 1, 2]);
    });

    it('counts token lookups, refusals and cache lookups by result', async () => {
      metrics = new RelayMetrics();
      metrics.tokenLookup('miss');
      metrics.tokenLookup('hit');
      metrics.tokenLookup('hit');
      metrics.refusal('concurrency');
      metrics.cacheLookup('coalesced');
      expect([
        await series('relay_qualys_token_cache_lookups_total'),
        await series('relay_qualys_refusals_total'),
        await series('relay_qualys_cache_lookups_total'),
      ]).toEqual([
        { 'result="miss"': 1, 'result="hit"': 2 },
        { 'kind="concurrency"': 1 },
        { 'result="coalesced"': 1 },
      ]);
    });

    it('counts searches in flight, each ended once however often its end is called', async () => {
      metrics = new RelayMetrics();
      const endFirst = metrics.searchStarted();
      metrics.searchStarted();
      expect(await series('relay_qualys_searches_in_flight')).toEqual({ '': 2 });
      endFirst();
      endFirst();
      expect(await series('relay_qualys_searches_in_flight')).toEqual({ '': 1 });
    });

    it('follows the depth of the slot queues', async () => {
      metrics = new RelayMetrics();
      metrics.queueDepth(1);
      metrics.queueDepth(1);
      metrics.queueDepth(-1);
      expect(await series('relay_qualys_queued_calls')).toEqual({ '': 1 });
    });

    it('shows one Redis state at a time, off until told otherwise', async () => {
      metrics = new RelayMetrics();
      expect(await series('relay_redis_state')).toEqual({
        'state="off"': 1,
        'state="up"': 0,
        'state="down"': 0,
      });
      metrics.redisState('down');
      expect(await series('relay_redis_state')).toEqual({
        'state="off"': 0,
        'state="up"': 0,
        'state="down"': 1,
      });
    });
  });

  describe('rate budget', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const budget = async () => [
      await series('relay_qualys_rate_budget_remaining_min'),
      await series('relay_qualys_rate_budget_subscriptions'),
    ];

    it('reports the lowest budget among the subscriptions heard from in the last hour', async () => {
      jest.spyOn(Date, 'now').mockImplementation(() => now);
      metrics = new RelayMetrics();
      expect(await budget()).toEqual([{}, { '': 0 }]);

      metrics.budgetRemaining('subscription-a', 40);
      metrics.budgetRemaining('subscription-b', 7);
      metrics.budgetRemaining('subscription-c', undefined);
      expect(await budget()).toEqual([{ '': 7 }, { '': 2 }]);

      // An answer without the header forgets what that subscription said before.
      metrics.budgetRemaining('subscription-b', undefined);
      expect(await budget()).toEqual([{ '': 40 }, { '': 1 }]);

      now += HOUR_MS + 1;
      expect(await budget()).toEqual([{}, { '': 0 }]);
    });

    it('remembers at most 1000 subscriptions, dropping the oldest report', async () => {
      metrics = new RelayMetrics();
      metrics.budgetRemaining('oldest', 0);
      for (let i = 0; i < 1000; i++) metrics.budgetRemaining(`subscription-${i}`, 100 + i);
      expect(await budget()).toEqual([{ '': 100 }, { '': 1000 }]);
    });
  });
});
