import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RelayContext } from '../auth/relay-context.js';
import { uniqueSupportedObservables, type Observable } from '../common/observable.js';
import { RelayError, unexpectedFailure } from '../common/relay-error.js';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import { ObservationMapper } from '../ctim/observation.mapper.js';
import { QualysClient } from '../qualys/qualys.client.js';
import { deadlineReached } from '../qualys/qualys-errors.js';
import { answerSizeWarning } from './answer-budget.js';
import { ObservationRun, relayBusy, SEARCHES_PER_OBSERVABLE } from './observation-run.js';
import { buildObserveResponse, type ObserveResponse } from './observe-response.js';

/**
 * Spec §5: searches Qualys for every observable — active and historical
 * searches, scheduled per subscription (spec §9) — and maps what comes back
 * to CTIM. One observable failing does not sink the others: their entities
 * are answered with its error. At the request's deadline, the answer keeps
 * every search that finished and adds one error. Spec §15: observables the
 * process has no room for are not searched, and the answer stops at its
 * size limit.
 */
@Injectable()
export class ObserveService {
  private readonly logger = new Logger(ObserveService.name);
  private readonly maxAnswerBytes: number;

  constructor(
    private readonly qualys: QualysClient,
    private readonly mapper: ObservationMapper,
    @Inject(RELAY_CONFIG) config: RelayConfig,
  ) {
    this.maxAnswerBytes = config.maxAnswerBytes;
  }

  async observe(
    context: RelayContext,
    observables: readonly Observable[],
  ): Promise<ObserveResponse> {
    const unique = uniqueSupportedObservables(observables);
    const request = this.qualys.beginRequest({
      items: unique.length,
      unitsPerItem: SEARCHES_PER_OBSERVABLE,
    });
    try {
      const admitted = request.admitted(unique.length);
      const run = new ObservationRun(this.qualys, this.mapper, unique.slice(0, admitted), {
        context,
        request,
        now: new Date(),
        maxAnswerBytes: this.maxAnswerBytes,
        asRelayError: (error) => this.asRelayError(error),
      });
      const { entities, errors, late, leftOut } = await run.run();
      if (late.count > 0) {
        errors.push(
          deadlineReached(late.waitingForLimits, {
            unfinished: late.count,
            total: unique.length,
          }).toItem(),
        );
      }
      if (admitted < unique.length)
        errors.push(relayBusy(unique.length - admitted, unique.length).toItem());
      const warnings = leftOut > 0 ? [answerSizeWarning(leftOut, unique.length)] : [];
      return buildObserveResponse(entities, errors, warnings);
    } finally {
      request.end();
    }
  }

  private asRelayError(error: unknown): RelayError {
    if (error instanceof RelayError) return error;
    this.logger.error(
      { err: error instanceof Error ? { name: error.name, message: error.message } : undefined },
      'Unexpected failure while observing',
    );
    return unexpectedFailure();
  }
}
