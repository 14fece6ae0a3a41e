import { describe, expect, it } from '@jest/globals';
import { TEST_RELAY_CONTEXT } from '../../test/support/test-relay-context.js';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { RelayContext } from '../auth/relay-context.js';
import { AuthorizationError } from '../common/relay-error.js';
import type { QualysClient } from './qualys.client.js';
import { QualysHealthIndicator } from './qualys.health.js';

/** The indicator over Terminus's own service and a client whose `checkAccess` does `access`. */
function indicatorFor(access: (relayContext: RelayContext) => Promise<void>) {
  const checked: RelayContext[] = [];
  const client = {
    checkAccess: (relayContext: RelayContext) => {
      checked.push(relayContext);
      return access(relayContext);
    },
  } as QualysClient;
  const indicator = new QualysHealthIndicator(new HealthIndicatorService(), client);
  return { indicator, checked };
}

describe('QualysHealthIndicator (no sockets; test/qualys-health.e2e-spec.ts runs it against the simulator)', () => {
  it("is up when the client's access check with the caller's context succeeds", async () => {
    const { indicator, checked } = indicatorFor(() => Promise.resolve());
    expect(await indicator.isHealthy(TEST_RELAY_CONTEXT)).toEqual({ qualys: { status: 'up' } });
    expect(checked).toEqual([TEST_RELAY_CONTEXT]);
  });

  it("throws the client's RelayError unchanged when Qualys refuses", async () => {
    const refused = new AuthorizationError('InvalidCredentialsException');
    const { indicator } = indicatorFor(() => Promise.reject(refused));
    expect(await indicator.isHealthy(TEST_RELAY_CONTEXT).catch((error: unknown) => error)).toBe(
      refused,
    );
  });
});
