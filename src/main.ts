import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger, ShutdownSignal } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { ConfigValidationError } from './config/config-parser.js';
import { RelayConfigModule, type LoadedRelayConfig } from './config/config.module.js';
import { OpsServer } from './health/ops-server.js';
import { startTracing } from './observability/tracing.js';

async function bootstrap(): Promise<void> {
  // `.env` and the environment, validated before Nest boots: a bad variable
  // stops the process with one clean message, not a DI stack trace.
  let loaded: LoadedRelayConfig;
  try {
    loaded = await RelayConfigModule.fromEnvironment();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      // The message names variables, never values (spec §8).
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Before the app: its modules read the tracing hooks (spec §14; off without an OTLP endpoint).
  const tracing = await startTracing(process.env);
  const { config, module: configModule } = loaded;
  const app = await createApp(config, { tracing, configModule });
  // SIGTERM (Kubernetes) and SIGINT (Ctrl-C) run the graceful shutdown
  // (health/graceful-shutdown.ts), then exit with 0 rather than re-raising
  // the signal, so a clean stop is not reported as a crash.
  app.enableShutdownHooks([ShutdownSignal.SIGTERM, ShutdownSignal.SIGINT], {
    useProcessExit: true,
  });
  await app.listen(config.port, config.host);
  const { address, port } = app.getHttpServer().address() as AddressInfo;
  new Logger('Bootstrap').log({ address, port }, 'Qualys IOC relay listening');
  // Spec §14: metrics, probes and docs on OPS_PORT, when set.
  const ops = await app.get(OpsServer).listen();
  if (ops !== undefined) {
    new Logger('Bootstrap').log(
      { address: ops.address, port: ops.port },
      'Operations port listening',
    );
  }
}

void bootstrap();
