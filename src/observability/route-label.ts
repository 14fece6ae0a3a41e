import type { Request } from 'express';

/** Where the Swagger UI and its assets are served (see src/openapi.ts). */
export const DOCS_PATH = '/docs';

/** Kubernetes probes and Prometheus scrapes: frequent, so logged at debug. */
const OPERATIONAL_ROUTES = new Set(['/healthz/live', '/healthz/ready', '/metrics']);

/**
 * The route template a request matched, for metrics labels and log lines.
 * Bounded by the route table, never the raw URL: a scanner probing random
 * paths must not create a time series per path.
 */
export function routeLabel(request: Request): string {
  const route = (request as { route?: { path?: unknown } }).route;
  // A wildcard is a middleware mount (`{/*splat}`), not the route that answered.
  if (typeof route?.path === 'string' && !route.path.includes('*'))
    return `${request.baseUrl}${route.path}`;
  if (request.path.startsWith(`${DOCS_PATH}/`)) return `${DOCS_PATH}/*`;
  return 'unmatched';
}

/** Probes and scrapes, whose request lines are logged at debug only. */
export function isProbeOrScrape(route: string): boolean {
  return OPERATIONAL_ROUTES.has(route);
}
