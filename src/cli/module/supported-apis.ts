import { RELAY_ROUTES, type RelayRoute } from '../../relay/relay-routes.js';

/** Spec §10: every value Threat Response accepts in a module's `supported-apis`. */
export const THREAT_RESPONSE_APIS = [
  'health',
  'observe/observables',
  'refer/observables',
  'deliberate/observables',
  'respond/observables',
  'respond/trigger',
  'tiles',
  'tiles/tile',
  'tiles/tile-data',
] as const;

export type ThreatResponseApi = (typeof THREAT_RESPONSE_APIS)[number];

/**
 * What this relay registers: the routes it serves, from the controllers' own
 * table. The annotation makes the compiler refuse a relay route that Threat
 * Response would not accept.
 */
export const RELAY_SUPPORTED_APIS: readonly ThreatResponseApi[] = Object.values(
  RELAY_ROUTES,
) satisfies RelayRoute[];

export function isThreatResponseApi(value: unknown): value is ThreatResponseApi {
  return (THREAT_RESPONSE_APIS as readonly unknown[]).includes(value);
}
