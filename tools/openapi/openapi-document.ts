import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from '../../src/app.module.js';
import { parseRelayConfig } from '../../src/config/config-parser.js';
import { buildOpenApiDocument } from '../../src/openapi.js';

/**
 * The document as `npm run openapi` writes it to `openapi.json` and the drift
 * test compares it: built from an application that is created but never
 * started (no listener, no Qualys call). The configuration does not show in
 * the document.
 */
export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const config = parseRelayConfig({
    AUTH_MODE: 'secret',
    JWT_SECRET: 'openapi-generation-only-secret-0123456789',
    LOG_LEVEL: 'silent',
  });
  const app = await NestFactory.create(AppModule.register(config), { logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/** `openapi.json`'s text: two-space JSON and a final newline. */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
