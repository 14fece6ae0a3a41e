import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import {
  pino,
  stdTimeFunctions,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
} from 'pino';
import { pinoHttp, type HttpLogger, type Options as PinoHttpOptions } from 'pino-http';
import { RELAY_VERSION } from '../common/version.js';
import {
  REDACT_PATHS,
  REDACTED,
  loggedPath,
  scrubString,
  scrubValue,
  serializeError,
} from './redaction.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';
import { isProbeOrScrape, routeLabel } from './route-label.js';

/** A request as logged: never its headers or body (they carry the JWT and credentials). */
function serializeRequest(request: IncomingMessage & { id?: unknown }): object {
  return { id: request.id, method: request.method, url: pathOf(request.url) };
}

function serializeResponse(response: ServerResponse): object {
  return { statusCode: response.statusCode };
}

/** The path without the query string (a query may carry anything), bounded and scrubbed. */
function pathOf(url: string | undefined): string | undefined {
  return url === undefined ? undefined : loggedPath(url.split('?', 1)[0] ?? '');
}

/**
 * Serializers shared by the root logger and every `pino-http` child, so that
 * no child falls back to pino's standard ones (which copy every enumerable
 * property of an error, an Axios error's `config.headers` included).
 */
const LOG_SERIALIZERS = {
  err: serializeError,
  req: serializeRequest,
  res: serializeResponse,
};

/**
 * The relay's one pino logger: JSON lines, ISO time, level names, and secrets
 * redacted by key (pino `redact`) and scrubbed from free text (spec §7).
 */
export function createRelayLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: {
      service: 'qualys-ioc-relay',
      version: RELAY_VERSION,
      pid: process.pid,
      hostname: hostname(),
    },
    timestamp: stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => scrubValue(object) as Record<string, unknown>,
    },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: LOG_SERIALIZERS,
    hooks: {
      // Messages are free text: a Nest or library message could quote a header.
      logMethod(args, method) {
        const scrubbed = args.map((arg: unknown) =>
          typeof arg === 'string' ? scrubString(arg) : arg,
        );
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Options nestjs-pino and the request logger share: the relay logger, the safe serializers. */
export function pinoHttpBase(logger: Logger): PinoHttpOptions {
  return { logger, serializers: LOG_SERIALIZERS, wrapSerializers: false, quietReqLogger: true };
}

/**
 * One JSON line per request: method, route template, path, status, duration
 * and request id. The id is the caller's `X-Request-Id` when sane, else a new
 * UUID, and is echoed in the response. Probes and scrapes log at debug.
 */
export function createHttpLogger(logger: Logger): HttpLogger<Request, Response> {
  const line = (request: Request, response: Response, durationMs: unknown) => ({
    method: request.method,
    route: routeLabel(request),
    url: pathOf(request.originalUrl),
    status: response.statusCode,
    durationMs,
    clientIp: request.ip,
  });
  return pinoHttp<Request, Response>({
    ...pinoHttpBase(logger),
    genReqId: (request, response) => {
      const id = requestIdFrom(request.headers['x-request-id']);
      response.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    customAttributeKeys: { reqId: 'reqId' },
    quietResLogger: true,
    customLogLevel: (request, response, error) => {
      if (error !== undefined || response.statusCode >= 500) return 'error';
      return isProbeOrScrape(routeLabel(request)) ? 'debug' : 'info';
    },
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (request, response, value: { responseTime?: unknown }) =>
      line(request, response, value.responseTime),
    customErrorObject: (request, response, error, value: { responseTime?: unknown }) => ({
      ...line(request, response, value.responseTime),
      err: error,
    }),
  });
}
