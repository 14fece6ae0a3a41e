// `npm run openapi`: regenerates openapi.json from the application (the same
// controllers, DTOs and decorators that serve /docs-json). The drift test
// (test/ops-docs.e2e-spec.ts) fails when the committed file and the code
// disagree. Run after changing a route, a DTO or an API decorator.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { generateOpenApiDocument, serializeOpenApiDocument } from './openapi-document.js';

const target = new URL('../../../openapi.json', import.meta.url);
writeFileSync(target, serializeOpenApiDocument(await generateOpenApiDocument()));
process.stdout.write(`Wrote ${target.pathname}\n`);
