import { Logger, type DynamicModule, type NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { AppModule } from './app.module.js';
import { applyHttpServerTimeouts } from './common/http-server-timeouts.js';
import type { RelayConfig } from './config/relay-config.js';
import { GracefulShutdown } from './health/graceful-shutdown.js';
import { OpsServer } from './health/ops-server.js';
import { createHttpLogger, createRelayLogger } from './observability/logger.js';
import { RelayMetrics } from './observability/metrics.js';
import { RELAY_TRACING, type RelayTracing } from './observability/tracing.js';
import { setupSwagger } from './openapi.js';

export interface CreateAppOptions {
  /** The `ConfigModule` `config` came from (main.ts); see `AppModuleOptions`. */
  configModule?: DynamicModule;
  /** `false` silences Nest's own (framework) logs; request logs follow LOG_LEVEL. */
  logger?: false;
  /** Where JSON log lines go; default stdout. Tests capture them here. */
  logDestination?: DestinationStream;
  /** Tracing hooks from `startTracing` (spec §14); off when absent. */
  tracing?: RelayTracing;
}

/**
 * Security headers. The CSP is helmet's default (same-origin scripts, no
 * inline script) minus `upgrade-insecure-requests`: the relay speaks plain
 * HTTP inside the cluster (TLS ends at the ingress), and an operator opening
 * the Swagger UI through `kubectl port-forward` must get its assets over http.
 */
const HELMET_OPTIONS: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    useDefaults: true,
    directives: {
      'upgrade-insecure-requests': null,
      // Swagger UI's page has an inline <style>; no third-party styles.
      'style-src': ["'self'", "'unsafe-inline'"],
    },
  },
};

/**
 * Builds the application exactly as production runs it; `main.ts`, the demo
 * and the e2e tests all call this, so the tests exercise the real pipeline.
 */
export async function createApp(
  config: RelayConfig,
  options: CreateAppOptions = {},
): Promise<NestExpressApplication> {
  const logger = createRelayLogger(config.logLevel, options.logDestination);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register(config, {
      logger,
      tracing: options.tracing,
      configModule: options.configModule,
    }),
    nestApplicationOptions(options),
  );
  return mountPipeline(app, config, logger, options);
}

/** Nest's own options for the application `createApp` builds. */
export function nestApplicationOptions(options: CreateAppOptions): NestApplicationOptions {
  return {
    bodyParser: false,
    ...(options.logger === false ? { logger: false } : { bufferLogs: true }),
  };
}

/**
 * Mounts the Express-level pieces on an application built from
 * `AppModule.register(config, { logger })`, after the HTTP server's
 * timeouts, in order: request logging and
 * metrics first (so every request is seen, Swagger's too), shutdown
 * tracking, security headers, the body parser, then the API docs. Separate
 * from `createApp` so an application whose providers were overridden
 * (`Test.createTestingModule`) gets the same pipeline.
 */
export function mountPipeline(
  app: NestExpressApplication,
  config: RelayConfig,
  logger: PinoLogger,
  options: CreateAppOptions = {},
): NestExpressApplication {
  if (options.logger !== false) app.useLogger(app.get(PinoNestLogger));

  // Spec §15: a slow client cannot hold a connection for minutes.
  applyHttpServerTimeouts(app.getHttpServer());
  app.set('x-powered-by', false);
  // First, so a request's span covers everything below (spec §14).
  const { middleware: traceRequests } = app.get<RelayTracing>(RELAY_TRACING);
  if (traceRequests !== undefined) app.use(traceRequests);
  // Client IPs (rate limit key, logs) come from X-Forwarded-For only through trusted proxies.
  app.set('trust proxy', config.trustProxyHops);
  app.use(createHttpLogger(logger));
  app.use(app.get(RelayMetrics).middleware);
  app.use(app.get(GracefulShutdown).middleware);
  // Spec §14: with OPS_PORT, each route answers on its own port only.
  const opsServer = app.get(OpsServer);
  if (config.opsPort !== undefined) app.use(opsServer.portRouter);
  app.use(helmet(HELMET_OPTIONS));
  // Our own limit: an oversized body is a clear `invalid argument`, not a crash.
  // Not strict: a JSON scalar body reaches the pipe, which names the problem
  // ("must be a JSON array") instead of "not valid JSON".
  app.useBodyParser('json', { limit: config.bodyLimitBytes, type: () => true, strict: false });
  if (config.docsEnabled) {
    setupSwagger(
      app,
      config.opsPort === undefined ? undefined : (request) => opsServer.relayUrl(request),
    );
  }
  if (config.qualys.allowInsecure) {
    // Spec §8: an operator must see that the URL safety net is loosened.
    new Logger('Config').warn(
      'QUALYS_ALLOW_INSECURE=true: http:// and loopback/private Qualys URLs are accepted (demo and tests only)',
    );
  }
  return app;
}
