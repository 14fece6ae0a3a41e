import type { HealthCheckResult } from '@nestjs/terminus';

/**
 * Spec §15: what `GET /healthz/ready` tells anyone who asks — ready or not,
 * and the names of the failing checks; never figures or configuration (the
 * figures are in `/metrics`, and Terminus logs a failing check's details).
 */
export type ReadinessAnswer = { status: 'ok' } | { status: 'error'; failing: string[] };

export const READY: ReadinessAnswer = { status: 'ok' };

/** The check that fails from the first moment of a graceful shutdown. */
const LIFECYCLE = 'lifecycle';

/**
 * The answer for Terminus's report of a failed readiness check (the body of
 * its 503): the failing checks by name, `lifecycle` included while shutting
 * down.
 */
export function notReady(report: Pick<HealthCheckResult, 'status' | 'error'>): ReadinessAnswer {
  const failing = Object.keys(report.error ?? {});
  if (report.status === 'shutting_down' && !failing.includes(LIFECYCLE)) failing.push(LIFECYCLE);
  return { status: 'error', failing };
}
