import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { RelayConfig } from './config/relay-config.js';

export interface CreateAppOptions {
  /** Passed to Nest; tests silence the framework logger. */
  logger?: false;
}

/**
 * Builds the application exactly as production runs it; `main.ts` and the
 * e2e tests both call this, so the tests exercise the real pipeline.
 */
export async function createApp(
  config: RelayConfig,
  options: CreateAppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bodyParser: false,
    ...(options.logger === false ? { logger: false } : {}),
  });
  // Our own limit: an oversized body is a clear `invalid argument`, not a crash.
  app.useBodyParser('json', { limit: config.bodyLimitBytes, type: () => true });
  app.set('x-powered-by', false);
  app.enableShutdownHooks();
  return app;
}
