import { Injectable, Logger } from '@nestjs/common';
import type { RelayContext } from '../auth/relay-context.js';
import {
  uniqueSupportedObservables,
  type Observable,
  type SupportedObservable,
} from '../common/observable.js';
import { RelayError, unexpectedFailure } from '../common/relay-error.js';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { Judgement, Verdict } from '../ctim/ctim.types.js';
import { ObservationMapper } from '../ctim/observation.mapper.js';
import { hasVerdicts, VerdictMapper } from '../ctim/verdict.mapper.js';
import { QualysClient } from '../qualys/qualys.client.js';
import { deadlineReached } from '../qualys/qualys-errors.js';
import { answerSizeWarning } from './answer-budget.js';
import {
  ObservationRun,
  relayBusy,
  SEARCHES_PER_OBSERVABLE,
  type Answers,
  type MapAnswers,
} from './observation-run.js';
import { buildObserveResponse, type ObserveResponse } from './observe-response.js';

/**
 * Spec §5: searches Qualys for every observable — active and historical
 * searches, scheduled per subscription (spec §9) — and maps what comes back
 * to CTIM. One observable failing does not sink the others: their entities
 * are answered with its error. At the request's deadline, the answer keeps
 * every search that finished and adds one error. Spec §15: observables the
 * process has no room for are not searched, and the answer stops at its
 * size limit. Spec §13: deliberation makes the same searches of the file
 * hashes, through the same steps, and answers their verdicts only.
 */
@Injectable()
export class ObserveService {
  private readonly logger = new Logger(ObserveService.name);
  private readonly maxAnswerBytes: number;
  private readonly verdictSeconds: number;

  constructor(
    private readonly qualys: QualysClient,
    private readonly mapper: ObservationMapper,
    private readonly verdicts: VerdictMapper,
    settings: ConfigService<RelaySettings, true>,
  ) {
    const config = settings.get('relay', { infer: true });
    this.maxAnswerBytes = config.maxAnswerBytes;
    this.verdictSeconds = config.verdictValidSec;
  }

  /** `/observe/observables`: entities and verdicts. */
  observe(
    relayContext: RelayContext,
    observables: readonly Observable[],
  ): Promise<ObserveResponse> {
    const limit = relayContext.entitiesLimit;
    return this.searchEach(
      relayContext,
      uniqueSupportedObservables(observables),
      (observable, answers, now) => {
        const active = answers.active?.events ?? [];
        const historical = answers.historical?.events ?? [];
        const entities = this.mapper.map(observable, active, historical, limit, now);
        return {
          entities,
          verdict: this.verdictOf(observable, answers, limit, entities.judgements),
        };
      },
    );
  }

  /** `/deliberate/observables`: the verdicts of the file hashes only (spec §13). */
  deliberate(
    relayContext: RelayContext,
    observables: readonly Observable[],
  ): Promise<ObserveResponse> {
    const limit = relayContext.entitiesLimit;
    const hashes = uniqueSupportedObservables(observables).filter(hasVerdicts);
    return this.searchEach(relayContext, hashes, (observable, answers) => ({
      verdict: this.verdictOf(observable, answers, limit),
    }));
  }

  /** Spec §13: no verdict when a search of the observable is unfinished or failed. */
  private verdictOf(
    observable: SupportedObservable,
    { active, historical }: Answers,
    limit: number,
    judgements?: readonly Judgement[],
  ): Verdict | undefined {
    if (active === undefined || historical === undefined) return undefined;
    const seconds = this.verdictSeconds;
    return this.verdicts.toVerdict(observable, active, historical, limit, seconds, judgements);
  }

  /**
   * Searches the observables the process has room for in one relay request
   * and answers what `map` makes of each, within the answer's size limit.
   */
  private async searchEach(
    relayContext: RelayContext,
    unique: readonly SupportedObservable[],
    map: MapAnswers,
  ): Promise<ObserveResponse> {
    const request = this.qualys.beginRequest({
      items: unique.length,
      unitsPerItem: SEARCHES_PER_OBSERVABLE,
    });
    try {
      const admitted = request.admitted(unique.length);
      const run = new ObservationRun(this.qualys, unique.slice(0, admitted), {
        relayContext,
        request,
        now: new Date(),
        maxAnswerBytes: this.maxAnswerBytes,
        map,
        asRelayError: (error) => this.asRelayError(error),
      });
      const { entities, verdicts, errors, late, leftOut } = await run.run();
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
      return buildObserveResponse(entities, errors, { verdicts, warnings });
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
