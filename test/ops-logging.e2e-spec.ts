import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createApp } from '../src/app.factory.js';
import { mintRelayToken } from '../src/cli/relay-token.js';
import { parseRelayConfig } from '../src/config/config-parser.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
} from '../tools/simulator/qualys-simulator.js';

const JWT_SECRET = 'ops-logging-secret-that-must-never-be-logged-0123';
const OTHER_SECRET = 'a-different-secret-used-to-forge-tokens-456789';

type LogLine = Record<string, unknown>;

/**
 * Issue #5.3: a full e2e run — observe, refer, health, auth failures, Qualys
 * errors, probes, docs — with every log line captured at trace level, then
 * searched for the secrets involved. One app only in this file: nestjs-pino
 * keeps one root logger per process (see docs/operations.md).
 */
describe('request logs and redaction (issue #5.3)', () => {
  const raw: string[] = [];
  let simulator: QualysSimulator;
  let app: NestExpressApplication;
  let url: string;
  const secrets = new Map<string, string>();
  const requestLines = (): LogLine[] =>
    raw
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.msg === 'request completed');

  beforeAll(async () => {
    simulator = await startQualysSimulator({ host: '127.0.0.1', port: 0 });
    const config = parseRelayConfig({
      AUTH_MODE: 'secret',
      JWT_SECRET,
      QUALYS_ALLOW_INSECURE: 'true',
      QUALYS_RETRIES: '0',
      LOG_LEVEL: 'trace',
    });
    app = await createApp(config, {
      logDestination: { write: (line: string) => void raw.push(line) },
    });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

    const claims = {
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      API_URL: simulator.url,
      PLATFORM_URL: simulator.url,
    };
    const jwt = await mintRelayToken(JWT_SECRET, claims);
    const wrongPasswordJwt = await mintRelayToken(JWT_SECRET, {
      ...claims,
      pass: 'Wr0ng&pass=word',
    });
    const forgedJwt = await mintRelayToken(OTHER_SECRET, claims);
    const observables = [
      { type: 'sha256', value: SIMULATOR_VALUES.sha256 },
      { type: 'domain', value: SIMULATOR_VALUES.domain },
    ];
    const post = (path: string, token?: string) => {
      const call = request(url)
        .post(path)
        .set('X-Request-Id', `ops-${path.replace(/\W/g, '')}`);
      return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
    };

    await post('/observe/observables', jwt).send(observables).expect(200);
    await post('/refer/observables', jwt).send(observables).expect(200);
    await post('/health', jwt).expect(200, { data: { status: 'ok' } });
    await post('/deliberate/observables', jwt).send(observables).expect(200);
    // Authentication failures.
    await post('/observe/observables').send(observables).expect(200);
    await post('/observe/observables', forgedJwt).send(observables).expect(200);
    await request(url)
      .post('/health')
      .set('Authorization', `Basic ${Buffer.from(`u:${SIMULATOR_PASSWORD}`).toString('base64')}`);
    await post('/health', 'not.a.jwt').expect(200);
    // Qualys errors: refused credentials, a 401 on search, a 500 quoting its body.
    await post('/health', wrongPasswordJwt).expect(200);
    simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 401,
      body: 'Token is not valid',
      times: 2,
    });
    await post('/health', jwt).expect(200);
    simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 500,
      body: 'internal error',
      times: 2,
    });
    await post('/observe/observables', jwt).send(observables).expect(200);
    simulator.clearFaults();
    // Caller errors and operational routes.
    await post('/observe/observables', jwt)
      .set('Content-Type', 'application/json')
      .send('{"broken"')
      .expect(200);
    await request(url).get('/no/such/route').expect(404);
    await request(url).get('/healthz/ready').expect(200);
    await request(url).get('/metrics').expect(200);
    await request(url).get('/docs').expect(200);

    secrets.set('JWT_SECRET', JWT_SECRET);
    secrets.set('the JWT', jwt);
    secrets.set("the JWT's signature", jwt.split('.')[2]);
    secrets.set('the wrong-password JWT', wrongPasswordJwt);
    secrets.set('the forged JWT', forgedJwt);
    secrets.set('the simulator password', SIMULATOR_PASSWORD);
    secrets.set(
      'the simulator password, form-encoded',
      new URLSearchParams({ p: SIMULATOR_PASSWORD }).toString().slice(2),
    );
    secrets.set('the simulator password, URI-encoded', encodeURIComponent(SIMULATOR_PASSWORD));
    secrets.set('the wrong password', 'Wr0ng&pass=word');
    const qualysTokens = new Set(
      simulator.stats.requests
        .map((recorded) => recorded.headers.authorization)
        .filter((header): header is string => typeof header === 'string')
        .map((header) => header.replace(/^Bearer /, '')),
    );
    expect(qualysTokens.size).toBeGreaterThanOrEqual(2);
    for (const token of qualysTokens) secrets.set(`the Qualys token ${token.slice(0, 8)}…`, token);

    await app.close();
    await simulator.close();
  });
  afterAll(async () => {
    await app.close();
    await simulator.close();
  });

  it('writes JSON lines only', () => {
    expect(raw.length).toBeGreaterThan(20);
    const unparsable = raw.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(unparsable).toEqual([]);
  });

  it('writes one line per request: method, route, status and the request id', () => {
    const summary = requestLines().map((line) => [
      line.method,
      line.route,
      line.status,
      line.reqId,
    ]);
    expect(summary).toEqual([
      ['POST', '/observe/observables', 200, 'ops-observeobservables'],
      ['POST', '/refer/observables', 200, 'ops-referobservables'],
      ['POST', '/health', 200, 'ops-health'],
      ['POST', '/deliberate/observables', 200, 'ops-deliberateobservables'],
      ['POST', '/observe/observables', 200, 'ops-observeobservables'],
      ['POST', '/observe/observables', 200, 'ops-observeobservables'],
      ['POST', '/health', 200, expect.stringMatching(/^[0-9a-f-]{36}$/)],
      ['POST', '/health', 200, 'ops-health'],
      ['POST', '/health', 200, 'ops-health'],
      ['POST', '/health', 200, 'ops-health'],
      ['POST', '/observe/observables', 200, 'ops-observeobservables'],
      ['POST', 'unmatched', 200, 'ops-observeobservables'],
      ['GET', 'unmatched', 404, expect.stringMatching(/^[0-9a-f-]{36}$/)],
      ['GET', '/healthz/ready', 200, expect.any(String)],
      ['GET', '/metrics', 200, expect.any(String)],
      ['GET', '/docs', 200, expect.any(String)],
    ]);
    expect(requestLines().every((line) => typeof line.durationMs === 'number')).toBe(true);
  });

  it("carries Nest's own logs, as JSON through pino", () => {
    const nest = raw
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.context === 'RouterExplorer');
    expect(nest).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'Mapped {/observe/observables, POST} route' }),
    );
  });

  it('contains no secret: JWT_SECRET, JWTs, passwords or Qualys tokens', () => {
    const text = raw.join('');
    const found = [...secrets].filter(([, secret]) => text.includes(secret)).map(([name]) => name);
    expect(found).toEqual([]);
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
    expect(text).not.toMatch(/Bearer (?!\[REDACTED])/);
  });
});
