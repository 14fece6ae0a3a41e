import { describe, expect, it } from '@jest/globals';
import {
  BadRequestException,
  HttpException,
  NotFoundException,
  ServiceUnavailableException,
  type ArgumentsHost,
} from '@nestjs/common';
import { RelayExceptionFilter } from './relay-exception.filter.js';
import { AuthorizationError, ErrorCode, RelayError } from './relay-error.js';

interface Captured {
  status?: number;
  body?: unknown;
}

function hostFor(captured: Captured, headersSent = false): ArgumentsHost {
  const response = {
    headersSent,
    status(code: number) {
      captured.status = code;
      return this;
    },
    json(body: unknown) {
      captured.body = body;
      return this;
    },
  };
  const request = { method: 'POST', path: '/nowhere', id: 'req-1' };
  return {
    switchToHttp: () => ({ getResponse: () => response, getRequest: () => request }),
  } as unknown as ArgumentsHost;
}

function run(exception: unknown): Captured {
  const captured: Captured = {};
  new RelayExceptionFilter().catch(exception, hostFor(captured));
  return captured;
}

describe('RelayExceptionFilter (spec §7, house style 6)', () => {
  it('answers a RelayError as the envelope with HTTP 200', () => {
    expect(run(new RelayError(ErrorCode.PERMISSION_DENIED, 'Forbidden'))).toEqual({
      status: 200,
      body: { errors: [{ type: 'fatal', code: 'permission denied', message: 'Forbidden' }] },
    });
  });

  it('keeps the authorization message format', () => {
    expect(run(new AuthorizationError('Wrong authorization type'))).toEqual({
      status: 200,
      body: {
        errors: [
          {
            type: 'fatal',
            code: 'authorization error',
            message: 'Authorization failed: Wrong authorization type',
          },
        ],
      },
    });
  });

  it('answers an unknown route with a 404 envelope', () => {
    expect(run(new NotFoundException())).toEqual({
      status: 404,
      body: {
        errors: [{ type: 'fatal', code: 'not found', message: 'Route not found' }],
      },
    });
  });

  it('answers a path that does not decode as an unknown route, not as a failure', () => {
    const cause = new URIError("Failed to decode param '%E0%A4%A'");
    expect(run(new BadRequestException(cause.message, { cause }))).toEqual({
      status: 404,
      body: {
        errors: [{ type: 'fatal', code: 'not found', message: 'Route not found' }],
      },
    });
  });

  it('turns malformed JSON from body-parser into invalid argument', () => {
    const parserError = Object.assign(new SyntaxError('Unexpected token } in JSON at position 7'), {
      type: 'entity.parse.failed',
      status: 400,
    });
    expect(run(new BadRequestException(parserError.message, { cause: parserError }))).toEqual({
      status: 200,
      body: {
        errors: [
          {
            type: 'fatal',
            code: 'invalid argument',
            message: 'Invalid JSON payload received. The request body is not valid JSON.',
          },
        ],
      },
    });
    expect(run(parserError).body).toEqual({
      errors: [
        {
          type: 'fatal',
          code: 'invalid argument',
          message: 'Invalid JSON payload received. The request body is not valid JSON.',
        },
      ],
    });
  });

  it('turns a too-large body into invalid argument', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      type: 'entity.too.large',
      status: 413,
    });
    expect(run(tooLarge)).toEqual({
      status: 200,
      body: {
        errors: [
          {
            type: 'fatal',
            code: 'invalid argument',
            message: 'Invalid JSON payload received. The request body is too large.',
          },
        ],
      },
    });
  });

  it('turns a body that does not decompress into invalid argument', () => {
    const zlibError = Object.assign(new Error('incorrect header check'), {
      status: 400,
      expose: true,
      code: 'Z_DATA_ERROR',
    });
    expect(run(zlibError)).toEqual({
      status: 200,
      body: {
        errors: [
          {
            type: 'fatal',
            code: 'invalid argument',
            message: 'Invalid JSON payload received. The request body could not be read.',
          },
        ],
      },
    });
  });

  it('hides an unexpected exception behind code unknown, without its message or stack', () => {
    const captured = run(
      new TypeError("Cannot read properties of undefined (reading 'secret-token')"),
    );
    expect(captured).toEqual({
      status: 200,
      body: {
        errors: [
          {
            type: 'fatal',
            code: 'unknown',
            message: 'Something went wrong while handling the request.',
          },
        ],
      },
    });
    expect(JSON.stringify(captured.body)).not.toContain('secret-token');
  });

  it('treats non-Error throwables the same way', () => {
    expect(run('a string').body).toEqual({
      errors: [
        {
          type: 'fatal',
          code: 'unknown',
          message: 'Something went wrong while handling the request.',
        },
      ],
    });
  });

  it('answers a rate-limit rejection with 429 and too many requests', () => {
    expect(run(new HttpException('ThrottlerException: Too Many Requests', 429))).toEqual({
      status: 429,
      body: {
        errors: [
          {
            type: 'fatal',
            code: 'too many requests',
            message: 'Too many requests. Please try again later.',
          },
        ],
      },
    });
  });

  it('lets a failing Terminus probe keep its 503 and report', () => {
    const report = {
      status: 'error',
      info: {},
      error: { shutdown: { status: 'down' } },
      details: {},
    };
    expect(run(new ServiceUnavailableException(report))).toEqual({ status: 503, body: report });
  });

  it('does nothing when the response has already started', () => {
    const captured: Captured = {};
    new RelayExceptionFilter().catch(new Error('late'), hostFor(captured, true));
    expect(captured).toEqual({});
  });
});
