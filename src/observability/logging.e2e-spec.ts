import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import request from 'supertest';
import { RelayExceptionFilter } from '../common/relay-exception.filter.js';
import { RelayConfigModule } from '../config/config.module.js';
import { parseRelayConfig } from '../config/config-parser.js';
import { createHttpLogger, createRelayLogger } from './logger.js';
import { ObservabilityModule } from './observability.module.js';

/** A route that fails the way a bug does: not a RelayError. */
@Controller('boom')
class BoomController {
  @Get()
  boom(): never {
    throw new Error('mapper exploded near Bearer sim-0123456789abcdef');
  }
}

@Module({ controllers: [BoomController] })
class BoomModule {}

type LogLine = Record<string, unknown>;

/**
 * The logging pipeline of `createApp` (pino logger, request logger,
 * nestjs-pino as Nest's logger, the exception filter) around a route that
 * throws an unexpected error.
 */
describe('logging pipeline', () => {
  const lines: LogLine[] = [];
  let app: INestApplication;

  beforeAll(async () => {
    const config = parseRelayConfig({
      AUTH_MODE: 'secret',
      JWT_SECRET: 'logging-spec-secret-0123456789abcdef',
      LOG_LEVEL: 'info',
    });
    const logger = createRelayLogger('info', {
      write: (line: string) => void lines.push(JSON.parse(line) as LogLine),
    });
    const moduleRef = await Test.createTestingModule({
      imports: [RelayConfigModule.forRoot(config), ObservabilityModule.forRoot(logger), BoomModule],
      providers: [{ provide: APP_FILTER, useClass: RelayExceptionFilter }],
    }).compile();
    app = moduleRef.createNestApplication({ bufferLogs: true });
    app.useLogger(app.get(PinoNestLogger));
    app.use(createHttpLogger(logger));
    await app.init();
  });
  afterAll(() => app.close());

  it("logs the filter's unknown error once, with the request id, and answers the generic envelope", async () => {
    lines.length = 0;
    const response = await request(app.getHttpServer() as Server)
      .get('/boom')
      .set('X-Request-Id', 'req-boom-1')
      .expect(200);
    expect(response.body).toEqual({
      errors: [
        {
          type: 'fatal',
          code: 'unknown',
          message: 'Something went wrong while handling the request.',
        },
      ],
    });
    expect(response.headers['x-request-id']).toBe('req-boom-1');
    const errors = lines.filter((line) => line.msg === 'Unexpected exception');
    expect(errors).toEqual([
      expect.objectContaining({
        level: 'error',
        context: 'RelayExceptionFilter',
        reqId: 'req-boom-1',
        requestId: 'req-boom-1',
        err: { name: 'Error', message: 'mapper exploded near Bearer [REDACTED]' },
      }),
    ]);
  });

  it('writes one request line with method, route, path, status, duration and request id', async () => {
    lines.length = 0;
    await request(app.getHttpServer() as Server)
      .get('/boom?x=1')
      .set('X-Request-Id', 'req-boom-2')
      .expect(200);
    const requestLines = lines.filter((line) => line.msg === 'request completed');
    expect(requestLines).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        service: 'qualys-ioc-relay',
        version: expect.any(String),
        pid: process.pid,
        hostname: expect.any(String),
        reqId: 'req-boom-2',
        method: 'GET',
        route: '/boom',
        url: '/boom',
        status: 200,
        durationMs: expect.any(Number),
        clientIp: expect.any(String),
        msg: 'request completed',
      },
    ]);
  });

  it("routes Nest's own logs through pino as JSON", () => {
    const logger = app.get(PinoNestLogger);
    lines.length = 0;
    logger.log('hello from Nest', 'SpecContext');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', context: 'SpecContext', msg: 'hello from Nest' }),
    ]);
  });
});
