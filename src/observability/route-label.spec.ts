import { describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { isProbeOrScrape, routeLabel } from './route-label.js';

const requestTo = (path: string, route?: string, baseUrl = ''): Request =>
  ({
    path,
    baseUrl,
    route: route === undefined ? undefined : { path: route },
  }) as unknown as Request;

describe('routeLabel', () => {
  it.each([
    [
      'a matched route: its template',
      requestTo('/observe/observables', '/observe/observables'),
      '/observe/observables',
    ],
    ['a route under a mount: base and template', requestTo('/x', '/x', '/api'), '/api/x'],
    [
      'a middleware wildcard is not the answering route',
      requestTo('/nope', '{/*splat}'),
      'unmatched',
    ],
    ['no route at all', requestTo('/wp-login.php'), 'unmatched'],
    ['a Swagger UI asset', requestTo('/docs/swagger-ui.css'), '/docs/*'],
  ])('%s', (_case, request, label) => {
    expect(routeLabel(request)).toBe(label);
  });
});

describe('isProbeOrScrape', () => {
  it('singles out the probes and the metrics scrape', () => {
    expect(
      ['/healthz/live', '/healthz/ready', '/metrics', '/health', '/docs'].map(isProbeOrScrape),
    ).toEqual([true, true, true, false, false]);
  });
});
