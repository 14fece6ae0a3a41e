import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startQualysModule, type QualysModuleHarness } from './support/qualys-module-harness.js';
import { AuthorizationError, RelayError } from '../src/common/relay-error.js';
import { QualysHealthIndicator } from '../src/qualys/qualys.health.js';

describe('QualysHealthIndicator (exported by QualysModule)', () => {
  let qualys: QualysModuleHarness;
  let indicator: QualysHealthIndicator;

  beforeAll(async () => {
    qualys = await startQualysModule();
    indicator = qualys.app.get(QualysHealthIndicator);
  });
  afterAll(() => qualys.close());

  it("is up when one search with the caller's credentials succeeds", async () => {
    qualys.simulator.resetStats();
    expect(await indicator.isHealthy(qualys.relayContext())).toEqual({
      qualys: { status: 'up' },
    });
    const [search] = qualys.simulator.stats.requests.filter((r) => r.path === '/ioc/events');
    expect(search.query).toEqual({ pageSize: '1', state: 'true' });
  });

  it("throws the client's RelayError unchanged when Qualys refuses", async () => {
    const relayContext = qualys.relayContext({ credentials: { user: 'nobody', pass: 'wrong' } });
    const thrown = await indicator.isHealthy(relayContext).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(AuthorizationError);
    expect((thrown as RelayError).toItem()).toEqual({
      type: 'fatal',
      code: 'authorization error',
      message: 'Authorization failed: InvalidCredentialsException',
    });
  });
});
