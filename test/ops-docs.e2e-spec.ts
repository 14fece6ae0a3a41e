import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { generateOpenApiDocument } from '../tools/openapi/openapi-document.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  requestBody?: {
    content: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }>;
  };
  responses: Record<
    string,
    { content?: Record<string, { schema?: unknown; examples?: Record<string, unknown> }> }
  >;
  tags?: string[];
}
type Paths = Record<string, Record<string, Operation>>;

const COMMITTED = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')) as {
  paths: Paths;
};

const JWT_ROUTES = [
  ['post', '/health'],
  ['post', '/observe/observables'],
  ['post', '/refer/observables'],
  ['post', '/deliberate/observables'],
  ['post', '/respond/observables'],
  ['post', '/respond/trigger'],
];
const PUBLIC_ROUTES = [
  ['post', '/version'],
  ['get', '/watchdog'],
  ['get', '/healthz/live'],
  ['get', '/healthz/ready'],
  ['get', '/metrics'],
];
const OBSERVABLE_ROUTES = [
  '/observe/observables',
  '/refer/observables',
  '/deliberate/observables',
  '/respond/observables',
];

describe('OpenAPI document and Swagger UI (issue #5.2)', () => {
  let relay: RelayHarness;
  let served: { paths: Paths; components: { securitySchemes: unknown } };

  beforeAll(async () => {
    relay = await startRelayHarness();
    served = (
      await request(relay.url)
        .get('/docs-json')
        .expect(200)
        .expect('Content-Type', /application\/json/)
    ).body as typeof served;
  });
  afterAll(() => relay.close());

  it('openapi.json is up to date with the code (else run `npm run openapi`)', async () => {
    expect(await generateOpenApiDocument()).toEqual(COMMITTED);
  });

  it('GET /docs-json serves that same document', () => {
    expect(served).toEqual(COMMITTED);
  });

  it('documents every relay and operational route, and nothing else', () => {
    const routes = Object.entries(served.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => [method, path]),
    );
    expect(routes.sort()).toEqual([...JWT_ROUTES, ...PUBLIC_ROUTES].sort());
  });

  it('names every operation for client generators, not after its controller', () => {
    const ids = Object.entries(served.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => [
        `${method} ${path}`,
        operation.operationId,
      ]),
    );
    expect(Object.fromEntries(ids)).toEqual({
      'post /health': 'checkHealth',
      'post /observe/observables': 'observeObservables',
      'post /refer/observables': 'referObservables',
      'post /deliberate/observables': 'deliberateObservables',
      'post /respond/observables': 'respondObservables',
      'post /respond/trigger': 'respondTrigger',
      'post /version': 'getVersion',
      'get /watchdog': 'watchdog',
      'get /healthz/live': 'checkLiveness',
      'get /healthz/ready': 'checkReadiness',
      'get /metrics': 'getMetrics',
    });
  });

  it('speaks to users: no internal specification references', () => {
    expect(
      JSON.stringify(served).match(/.{0,40}(§|\bspec\b|house style|issue #).{0,40}/gi),
    ).toBeNull();
  });

  it('declares bearer auth (the Authorize button) on the JWT routes only', () => {
    expect(served.components.securitySchemes).toEqual({
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'The relay JWT, which carries the caller’s Qualys credentials',
      },
    });
    for (const [method, path] of JWT_ROUTES)
      expect([path, served.paths[path]?.[method]?.security]).toEqual([path, [{ bearer: [] }]]);
    for (const [method, path] of PUBLIC_ROUTES)
      expect([path, served.paths[path]?.[method]?.security]).toEqual([path, undefined]);
  });

  it('gives the observable routes the validated request schema, with examples the bundled simulator answers', () => {
    for (const path of OBSERVABLE_ROUTES) {
      const body = served.paths[path]?.post?.requestBody?.content['application/json'];
      expect([path, body?.schema]).toEqual([
        path,
        { type: 'array', items: { $ref: '#/components/schemas/ObservableDto' } },
      ]);
    }
    const example =
      served.paths['/observe/observables']?.post?.requestBody?.content['application/json']?.examples
        ?.fileAndDomain;
    expect(example?.value).toEqual([
      { type: 'sha256', value: SIMULATOR_VALUES.sha256 },
      { type: 'domain', value: SIMULATOR_VALUES.domain },
    ]);
  });

  it('documents each relay answer as its schema or the error envelope, with named examples', () => {
    const expected: Record<string, [string, string[]]> = {
      '/observe/observables': [
        'ObserveResponseDto',
        ['found', 'nothingFound', 'partialFailure', 'badCredentials', 'invalidBody', 'missingJwt'],
      ],
      '/refer/observables': ['ReferResponseDto', ['links', 'missingJwt']],
      '/health': ['HealthResponseDto', ['ok', 'badCredentials', 'unreachable', 'missingJwt']],
    };
    for (const [path, [schema, examples]] of Object.entries(expected)) {
      const ok = served.paths[path]?.post?.responses['200']?.content?.['application/json'];
      expect([path, ok?.schema, Object.keys(ok?.examples ?? {})]).toEqual([
        path,
        {
          oneOf: [
            { $ref: `#/components/schemas/${schema}` },
            { $ref: '#/components/schemas/ErrorEnvelopeDto' },
          ],
        },
        examples,
      ]);
      expect(Object.keys(served.paths[path]?.post?.responses ?? {}).sort()).toEqual(['200', '429']);
    }
  });

  describe('GET /docs (Swagger UI) under helmet', () => {
    let html: string;
    let csp: string;

    beforeAll(async () => {
      const response = await request(relay.url)
        .get('/docs')
        .expect(200)
        .expect('Content-Type', /text\/html/);
      html = response.text;
      csp = String(response.headers['content-security-policy']);
    });

    it('has no inline script, which the CSP (script-src self) would block', () => {
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(
        scripts.map(([, attributes, body]) => [
          /\bsrc=/.test(attributes ?? ''),
          (body ?? '').trim(),
        ]),
      ).toEqual([
        [true, ''],
        [true, ''],
        [true, ''],
      ]);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('upgrade-insecure-requests');
    });

    it("allows the page's inline <style> and the data: images of Swagger UI's stylesheet", () => {
      expect(html).toMatch(/<style>/);
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).toContain("img-src 'self' data:");
    });

    it('loads every script and stylesheet of the page from the relay itself', async () => {
      const assets = [...html.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map(([, url]) => url);
      expect(assets.sort()).toEqual([
        './docs/favicon-16x16.png',
        './docs/favicon-32x32.png',
        './docs/swagger-ui-bundle.js',
        './docs/swagger-ui-init.js',
        './docs/swagger-ui-standalone-preset.js',
        './docs/swagger-ui.css',
      ]);
      const types: Record<string, RegExp> = {
        js: /javascript/,
        css: /text\/css/,
        png: /image\/png/,
      };
      for (const asset of assets) {
        const path = new URL(asset, `${relay.url}/docs`).pathname;
        const response = await request(relay.url).get(path);
        expect([path, response.status]).toEqual([path, 200]);
        expect(response.headers['content-type']).toMatch(types[asset.split('.').pop() ?? '']);
      }
    });

    it('initialises Swagger UI with the document, bearer auth included', async () => {
      const init = await request(relay.url).get('/docs/swagger-ui-init.js').expect(200);
      expect(init.text).toContain('"securitySchemes"');
      expect(init.text).toContain('"/observe/observables"');
      expect(init.text).toContain('"validatorUrl": null');
    });
  });
});
