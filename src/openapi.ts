import type { INestApplication } from '@nestjs/common';
import type { Request } from 'express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { RELAY_VERSION } from './common/version.js';
import { DOCS_PATH } from './observability/route-label.js';

/** The Swagger UI is served at `/docs`, the OpenAPI document at `/docs-json`. */
const OPENAPI_JSON_PATH = `${DOCS_PATH}-json`;

const DESCRIPTION = [
  'Relays Cisco XDR / Threat Response observables to Qualys IOC (EDR) and answers CTIM entities.',
  '',
  'Relay routes need `Authorization: Bearer <JWT>`: click **Authorize** and paste the JWT',
  '(`npm run demo` prints one for the bundled Qualys simulator).',
  'Relay errors answer HTTP 200 with the envelope `{"errors":[{"type":"fatal","code","message"}]}`,',
  'because Threat Response reads the envelope, not the status. Operational routes',
  '(probes, metrics) need no JWT.',
].join('\n');

/**
 * The OpenAPI 3 document, built from the same controllers, DTOs and
 * decorators that route and validate requests — so it cannot drift from them.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Qualys IOC Relay')
    .setDescription(DESCRIPTION)
    .setVersion(RELAY_VERSION)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'The relay JWT, which carries the caller’s Qualys credentials',
      },
      'bearer',
    )
    .addTag('relay', 'The routes Cisco XDR / Threat Response calls')
    .addTag('operations', 'Kubernetes probes and Prometheus metrics (no JWT)')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * Serves the Swagger UI at `/docs` and the document at `/docs-json`. The
 * document is built on the first request for it, not at start-up.
 * `relayUrl`, when the docs live on the operations port: the relay routes'
 * URL for the request's browser, named in the document's `servers` so
 * "Try it out" calls the relay port.
 */
export function setupSwagger(app: INestApplication, relayUrl?: (request: Request) => string): void {
  SwaggerModule.setup(DOCS_PATH.slice(1), app, () => buildOpenApiDocument(app), {
    ...(relayUrl === undefined
      ? {}
      : {
          // Swagger's type leaves the request generic; Express hands it its own.
          patchDocumentOnRequest: <TRequest>(
            request: TRequest,
            _response: unknown,
            document: OpenAPIObject,
          ): OpenAPIObject => ({
            ...document,
            servers: [{ url: relayUrl(request as Request), description: 'The relay routes' }],
          }),
        }),
    jsonDocumentUrl: OPENAPI_JSON_PATH.slice(1),
    raw: ['json'],
    customSiteTitle: 'Qualys IOC Relay — API',
    swaggerOptions: {
      // No third-party validator badge: the CSP allows same-origin images only.
      validatorUrl: null,
      displayRequestDuration: true,
      // A JWT carries Qualys credentials: never persist it in the browser.
      persistAuthorization: false,
    },
  });
}
