import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
} from '@opentelemetry/semantic-conventions';
import type { NextFunction, Request, Response } from 'express';
import { RELAY_VERSION } from '../common/version.js';
import { isProbeOrScrape, routeLabel } from './route-label.js';
import type { CallSpanDetails, RelayTracing } from './tracing.js';

/** Qualys's route templates, never a URL (its query names filters and observables). */
const QUALYS_ROUTES = { search: 'GET /ioc/events', auth: 'POST /auth' } as const;
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The OpenTelemetry SDK behind `RelayTracing`, imported by `startTracing`
 * only when an OTLP endpoint is set (spec §14). Everything else comes from
 * OpenTelemetry's variables, read by the SDK itself: endpoint, headers,
 * timeout, sampler (`OTEL_TRACES_SAMPLER[_ARG]`, parent-based always-on by
 * default), batch sizes, resource attributes; `OTEL_SERVICE_NAME` wins
 * over the default `qualys-ioc-relay`.
 *
 * Manual spans only, with attributes chosen here: no automatic HTTP or
 * undici instrumentation, which records full URLs (`filter=` names the
 * observables) and headers. A span never holds a URL with its query, a
 * filter, an observable, a user name, a password, a token or a JWT.
 */
export function startOtelTracing(): RelayTracing {
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: 'qualys-ioc-relay',
        'service.version': RELAY_VERSION,
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // The AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();
  const tracer = trace.getTracer('qualys-ioc-relay', RELAY_VERSION);

  /** A span only inside a traced request: background work never starts a trace of its own. */
  const inRequest = (): boolean => trace.getSpan(context.active()) !== undefined;

  const middleware = (request: Request, response: Response, next: NextFunction): void => {
    // Probes and scrapes every few seconds would drown the traces that matter.
    if (isProbeOrScrape(request.path)) {
      next();
      return;
    }
    const parent = propagation.extract(context.active(), request.headers);
    const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER';
    const span = tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method } },
      parent,
    );
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      const route = routeLabel(request);
      span.updateName(`${method} ${route}`);
      span.setAttribute(ATTR_HTTP_ROUTE, route);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    response.once('finish', end);
    response.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  };

  return {
    middleware,
    qualysCalls: {
      // Recorded when the call ended, with its real start: the observer hears of a call then.
      record: (operation, outcome, seconds, details) => {
        if (!inRequest()) return;
        const endTime = Date.now();
        const span = tracer.startSpan(QUALYS_ROUTES[operation], {
          kind: SpanKind.CLIENT,
          startTime: endTime - seconds * 1000,
          attributes: {
            'qualys.operation': operation,
            'qualys.outcome': outcome,
            ...callAttributes(details),
          },
        });
        if (outcome !== 'success' && outcome !== 'not_found') {
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        }
        span.end(endTime);
      },
    },
    redisCommands: (command) => {
      if (!inRequest()) return () => undefined;
      const span: Span = tracer.startSpan(command, {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system.name': 'redis', 'db.operation.name': command },
      });
      return (failed) => {
        if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
    },
    shutdown: () => provider.shutdown(),
  };
}

function callAttributes(details: CallSpanDetails | undefined): Record<string, number | string> {
  if (details === undefined) return {};
  return {
    'qualys.retry': details.retry,
    ...(details.status === undefined ? {} : { [ATTR_HTTP_RESPONSE_STATUS_CODE]: details.status }),
    ...(details.active === undefined
      ? {}
      : { 'qualys.state': details.active ? 'active' : 'historical' }),
    ...(details.batchSize === undefined ? {} : { 'qualys.batch_size': details.batchSize }),
    ...(details.slotWaitMs === undefined
      ? {}
      : { 'qualys.slot_wait_ms': Math.round(details.slotWaitMs) }),
  };
}
