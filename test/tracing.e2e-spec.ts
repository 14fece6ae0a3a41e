import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createApp } from '../src/app.factory.js';
import { mintRelayToken } from '../src/cli/relay-token.js';
import { parseRelayConfig } from '../src/config/config-parser.js';
import { startTracing, TRACING_OFF } from '../src/observability/tracing.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
} from '../tools/simulator/qualys-simulator.js';
import { startRedisServer, type RedisServerHandle } from '../tools/lib/redis-server.js';
import { until } from './support/relay-process.js';
import { TEST_JWT_SECRET } from './support/relay-harness.js';

/**
 * Spec §14, tracing: a local OTLP/HTTP receiver (a plain HTTP server that
 * keeps every body) gets the relay's spans. Assertions are on the raw
 * exported bytes, so nothing secret can hide in a field the test does not
 * parse.
 */
const V = SIMULATOR_VALUES;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';
const OTLP_SECRET_HEADER = 'Bearer otlp-ingest-secret-42';

describe('tracing on (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  const bodies: Buffer[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const logs: string[] = [];
  let receiver: Server;
  let simulator: QualysSimulator;
  let redis: RedisServerHandle;
  let app: NestExpressApplication;
  let url: string;
  let jwt: string;
  let exported: string;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        headers.push(req.headers);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    [simulator, redis] = await Promise.all([
      startQualysSimulator({ host: '127.0.0.1', port: 0 }),
      startRedisServer(),
    ]);
    const { port } = receiver.address() as AddressInfo;
    // OpenTelemetry's own variables, read by the SDK itself (the only configuration there is).
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=${OTLP_SECRET_HEADER}`;
    const tracing = await startTracing(process.env);
    expect(tracing).not.toBe(TRACING_OFF);
    const config = parseRelayConfig({
      AUTH_MODE: 'secret',
      JWT_SECRET: TEST_JWT_SECRET,
      QUALYS_ALLOW_INSECURE: 'true',
      LOG_LEVEL: 'debug',
      REDIS_URL: redis.url,
      CACHE_ENCRYPTION_KEY: 'tracing-e2e-cache-encryption-key-0123456789',
    });
    app = await createApp(config, {
      tracing,
      logDestination: { write: (line: string) => void logs.push(line) },
    });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    jwt = await mintRelayToken(TEST_JWT_SECRET, {
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: simulator.url,
      PLATFORM_URL: simulator.url,
    });
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([simulator?.close(), redis?.close()]);
    receiver?.close();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
  });

  it('exports the spans of a request that came with a traceparent, when the app closes', async () => {
    await until(async () => {
      const metrics = (await request(url).get('/metrics')).text;
      return metrics.includes('relay_redis_state{state="up"} 1');
    }, 'Redis up');
    const body = (
      await request(url)
        .post('/observe/observables')
        .set('Authorization', `Bearer ${jwt}`)
        .set('traceparent', `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`)
        .send([
          { type: 'md5', value: V.md5 },
          { type: 'domain', value: V.domain },
        ])
        .expect(200)
    ).body as { data?: { sightings?: { count: number } } };
    expect(body.data?.sightings?.count).toBeGreaterThan(0);
    await app.close(); // flushes the batch
    exported = Buffer.concat(bodies).toString('latin1');
    expect(exported).toContain(TRACE_ID);
    expect(exported).toContain(PARENT_SPAN_ID);
    for (const name of [
      'POST /observe/observables',
      'POST /auth',
      'GET /ioc/events',
      '"qualys.state"',
      '"qualys.batch_size"',
      '"qualys.slot_wait_ms"',
      '"qualys.retry"',
      '"http.response.status_code"',
      '"db.operation.name"',
      '"qualys-ioc-relay"',
    ]) {
      expect([name, exported.includes(name)]).toEqual([name, true]);
    }
    expect(exported).toMatch(/"stringValue":"(evalsha|get|set)"/);
  });

  it('never exports a user name, password, JWT, token, filter or observable', () => {
    expect(exported.length).toBeGreaterThan(500);
    for (const secret of [
      SIMULATOR_USER,
      SIMULATOR_PASSWORD,
      encodeURIComponent(SIMULATOR_PASSWORD),
      jwt,
      jwt.split('.')[1],
      V.md5,
      V.domain,
      'filter',
      simulator.url,
      'Bearer',
    ]) {
      expect([secret, exported.includes(secret)]).toEqual([secret, false]);
    }
  });

  it('sends OTEL_EXPORTER_OTLP_HEADERS to the collector and never logs them', () => {
    expect(headers.length).toBeGreaterThan(0);
    expect(headers.every((each) => each.authorization === OTLP_SECRET_HEADER)).toBe(true);
    const logged = logs.join('\n');
    expect(logged).toContain('Exporting traces over OTLP/HTTP to http://127.0.0.1:');
    expect(logged).not.toContain('otlp-ingest-secret');
  });
});

describe('tracing off (no OTLP endpoint)', () => {
  it('loads nothing and hooks nothing', async () => {
    expect(await startTracing({ OTEL_SERVICE_NAME: 'x' })).toBe(TRACING_OFF);
    expect(
      await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'true' }),
    ).toBe(TRACING_OFF);
    expect(TRACING_OFF).toEqual({ shutdown: expect.any(Function) });
  });
});
