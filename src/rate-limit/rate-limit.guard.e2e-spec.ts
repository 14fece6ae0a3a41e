import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import request from 'supertest';
import { configServiceOf, testRelayConfig } from '../../test/support/jwt-test-config.js';
import { RelayConfigModule } from '../config/config.module.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RateLimitModule } from './rate-limit.module.js';
import { SkipRateLimit } from './skip-rate-limit.decorator.js';

@Controller()
class ProbeController {
  @Get('limited')
  limited(): string {
    return 'ok';
  }

  @SkipRateLimit()
  @Get('skipped-handler')
  skippedHandler(): string {
    return 'ok';
  }
}

@SkipRateLimit()
@Controller('skipped-controller')
class SkippedController {
  @Get()
  any(): string {
    return 'ok';
  }
}

/** The guard installed as AppModule installs it, on a real loopback socket. */
async function startApp(rateLimitPerMinute: number): Promise<INestApplication> {
  const config = { ...testRelayConfig(), rateLimitPerMinute, trustProxyHops: 1 };
  const moduleRef = await Test.createTestingModule({
    imports: [RelayConfigModule.forRoot(config), RateLimitModule],
    controllers: [ProbeController, SkippedController],
    providers: [{ provide: APP_GUARD, useExisting: RateLimitGuard }],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
  // As createApp does with TRUST_PROXY_HOPS=1: the client is the last X-Forwarded-For entry.
  app.set('trust proxy', config.trustProxyHops);
  await app.listen(0, '127.0.0.1');
  return app;
}

/** Status and Retry-After of a GET from `client`. */
async function get(app: INestApplication, path: string, client = '203.0.113.1') {
  const response = await request(app.getHttpServer() as Server)
    .get(path)
    .set('X-Forwarded-For', client);
  return [response.status, response.headers['retry-after']] as const;
}

describe('RateLimitGuard', () => {
  let app: INestApplication | undefined;
  let now = Date.parse('2026-01-01T00:00:00Z');

  beforeEach(() => {
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await app?.close();
    app = undefined;
  });

  it('limits nothing when RATE_LIMIT_PER_MINUTE is 0', async () => {
    app = await startApp(0);
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await get(app, '/limited'))[0]);
    expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
  });

  it("grants a minute's allowance at once, then refills one token every 60/limit seconds", async () => {
    app = await startApp(3);
    expect([
      await get(app, '/limited'),
      await get(app, '/limited'),
      await get(app, '/limited'),
      await get(app, '/limited'),
    ]).toEqual([
      [200, undefined],
      [200, undefined],
      [200, undefined],
      [429, '20'],
    ]);
    now += 10_000; // half a token
    expect(await get(app, '/limited')).toEqual([429, '10']);
    now += 10_000; // a whole one
    expect([await get(app, '/limited'), await get(app, '/limited')]).toEqual([
      [200, undefined],
      [429, '20'],
    ]);
  });

  it('never holds more than one minute of allowance, however long a client was away', async () => {
    app = await startApp(2);
    await get(app, '/limited');
    now += 3_600_000;
    expect([
      await get(app, '/limited'),
      await get(app, '/limited'),
      await get(app, '/limited'),
    ]).toEqual([
      [200, undefined],
      [200, undefined],
      [429, '30'],
    ]);
  });

  it('counts every client on its own', async () => {
    app = await startApp(1);
    expect([
      await get(app, '/limited', '203.0.113.1'),
      await get(app, '/limited', '203.0.113.2'),
      await get(app, '/limited', '203.0.113.1'),
    ]).toEqual([
      [200, undefined],
      [200, undefined],
      [429, '60'],
    ]);
  });

  it('skips handlers and controllers marked @SkipRateLimit(), without spending allowance', async () => {
    app = await startApp(1);
    const skipped = [];
    for (let i = 0; i < 3; i++) {
      skipped.push(await get(app, '/skipped-handler'), await get(app, '/skipped-controller'));
    }
    expect(skipped).toEqual(Array.from({ length: 6 }, () => [200, undefined]));
    expect(await get(app, '/limited')).toEqual([200, undefined]);
  });

  it('forgets the least recently seen client once it remembers 100,000', () => {
    const guard = new RateLimitGuard(
      new Reflector(),
      configServiceOf({ ...testRelayConfig(), rateLimitPerMinute: 1 }),
    );
    // The method itself, as Nest hands it to guards (the reflector reads metadata off it).
    const handler = Reflect.get(ProbeController.prototype, 'limited');
    const from = (ip: string) =>
      new ExecutionContextHost([{ ip }, { setHeader: () => undefined }], ProbeController, handler);
    const take = (ip: string): boolean => {
      try {
        return guard.canActivate(from(ip));
      } catch {
        return false;
      }
    };

    expect([take('first'), take('first')]).toEqual([true, false]);
    for (let i = 0; i < 100_000; i++) take(`client-${i}`);
    // 'first' was the least recently seen of 100,001 clients: it starts afresh.
    expect([take('first'), take('client-99999')]).toEqual([true, false]);
  });
});
