import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { RelayContext } from '../auth/relay-context.js';
import { QualysClient } from './qualys.client.js';

/**
 * Terminus indicator of the caller's access to Qualys, behind the relay's
 * `POST /health` (spec §2): one search of active events, page size 1, with
 * the caller's credentials. Up when Qualys answers; otherwise the client's
 * `RelayError` is thrown as is (Terminus rethrows an indicator's error too),
 * so the relay envelope carries exactly the code and message of the failure.
 * Never used by the Kubernetes probes (house style 13).
 */
@Injectable()
export class QualysHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly qualys: QualysClient,
  ) {}

  async isHealthy(relayContext: RelayContext): Promise<HealthIndicatorResult<'qualys'>> {
    const indicator = this.health.check('qualys');
    await this.qualys.checkAccess(relayContext);
    return indicator.up();
  }
}
