import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { RelayContext } from '../auth/relay-context.js';
import { RelayError, type ErrorCode } from '../common/relay-error.js';
import { QualysClient } from '../qualys/qualys.client.js';

/** What the indicator reports when Qualys refuses or cannot be reached. */
export interface QualysDownDetails {
  code: ErrorCode;
  message: string;
}

export type QualysHealthResult =
  | HealthIndicatorResult<'qualys', 'up'>
  | HealthIndicatorResult<'qualys', 'down', QualysDownDetails>;

/**
 * Terminus indicator for the relay's `POST /health` (spec §2): one search of
 * active events, page size 1, with the caller's credentials. A Qualys failure
 * is reported `down` with the `RelayError`'s code and message unchanged, so
 * the relay envelope reads exactly as if the client's error had been thrown.
 * Never used by the Kubernetes probes (house style 13).
 */
@Injectable()
export class QualysHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly qualys: QualysClient,
  ) {}

  async check(context: RelayContext): Promise<QualysHealthResult> {
    const indicator = this.health.check('qualys');
    try {
      await this.qualys.checkAccess(context);
      return indicator.up();
    } catch (error) {
      // Anything that is not a RelayError is a bug: let the filter log it.
      if (!(error instanceof RelayError)) throw error;
      return indicator.down({ code: error.code, message: error.message });
    }
  }
}

/** The relay envelope's view of the indicator: `{"data":{"status":"ok"}}` or the error thrown as is. */
export function toRelayHealth(result: QualysHealthResult): { data: { status: 'ok' } } {
  const qualys = result.qualys;
  if (qualys.status === 'down') throw new RelayError(qualys.code, qualys.message);
  return { data: { status: 'ok' } };
}
