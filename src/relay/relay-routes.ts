/**
 * The relay routes Threat Response calls (spec §2): all `POST`, all behind the
 * JWT. The controllers' route decorators and the module CLI (the relay
 * module's and the XDR module type's `supported-apis`, spec §10) both read
 * this table, so what is registered and what is served cannot drift apart.
 * `/version` and `/watchdog` are operational and are not listed.
 */
export const RELAY_ROUTES = {
  health: 'health',
  observe: 'observe/observables',
  refer: 'refer/observables',
  deliberate: 'deliberate/observables',
  respondObservables: 'respond/observables',
  respondTrigger: 'respond/trigger',
} as const;

export type RelayRoute = (typeof RELAY_ROUTES)[keyof typeof RELAY_ROUTES];
