import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { createApp } from './app.factory.js';
import { ConfigValidationError, parseRelayConfig } from './config/config-parser.js';

async function bootstrap(): Promise<void> {
  // Local convenience; in Kubernetes the variables come from the pod spec.
  const { loadEnvFile } = process as { loadEnvFile?: (path: string) => void };
  if (existsSync('.env') && loadEnvFile) loadEnvFile('.env');
  let config;
  try {
    config = parseRelayConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      // The message names variables, never values (spec §8).
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  await app.listen(config.port, config.host);
}

void bootstrap();
