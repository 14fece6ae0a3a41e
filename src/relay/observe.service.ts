import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RelayContext } from '../auth/relay-context.js';
import {
  uniqueSupportedObservables,
  type Observable,
  type SupportedObservable,
} from '../common/observable.js';
import { RelayError, unexpectedFailure, type RelayErrorItem } from '../common/relay-error.js';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import type { Judgement, ObservationEntities, Verdict } from '../ctim/ctim.types.js';
import { ObservationMapper } from '../ctim/observation.mapper.js';
import { hasVerdicts, VerdictMapper } from '../ctim/verdict.mapper.js';
import {
  QualysClient,
  SearchDeadlineError,
  type RelayRequestScope,
  type SearchResult,
} from '../qualys/qualys.client.js';
import { deadlineReached, RateLimitReachedError } from '../qualys/qualys-errors.js';
import { buildSearchFilter } from '../qualys/search-filter.js';
import { buildObserveResponse, type ObserveResponse } from './observe-response.js';

/** The answers of one observable's two searches; a search that did not answer is missing. */
interface Answers {
  active?: SearchResult;
  historical?: SearchResult;
}

/** What the relay answers for one observable: its entities, its verdict (spec §5, §13). */
interface Observation {
  entities?: ObservationEntities;
  verdict?: Verdict;
}

/** Maps one observable's answers, partial ones included, to what the route answers. */
type MapAnswers = (observable: SupportedObservable, answers: Answers, now: Date) => Observation;

/** How one observable ended: what it gave (possibly partial), its error, and whether it ran out of time. */
interface Outcome {
  observation?: Observation;
  error?: RelayErrorItem;
  /** Set when a search was unfinished at the deadline (spec §9). */
  late?: { waitingForLimits: boolean };
}

/**
 * Spec §5: searches Qualys for every observable — active and historical
 * searches of all observables at once, scheduled per subscription (spec §9)
 * — and maps what comes back to CTIM. One observable failing does not sink
 * the others: their entities are answered with its error. At the request's
 * deadline, the answer keeps every search that finished and adds one error.
 * Spec §13: deliberation makes the same searches of the file hashes, through
 * the same steps, and answers their verdicts only.
 */
@Injectable()
export class ObserveService {
  private readonly logger = new Logger(ObserveService.name);
  private readonly verdictSeconds: number;

  constructor(
    private readonly qualys: QualysClient,
    private readonly mapper: ObservationMapper,
    private readonly verdicts: VerdictMapper,
    @Inject(RELAY_CONFIG) config: RelayConfig,
  ) {
    this.verdictSeconds = config.verdictValidSec;
  }

  /** `/observe/observables`: entities and verdicts. */
  observe(context: RelayContext, observables: readonly Observable[]): Promise<ObserveResponse> {
    const limit = context.entitiesLimit;
    return this.searchEach(
      context,
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
  deliberate(context: RelayContext, observables: readonly Observable[]): Promise<ObserveResponse> {
    const limit = context.entitiesLimit;
    const hashes = uniqueSupportedObservables(observables).filter(hasVerdicts);
    return this.searchEach(context, hashes, (observable, answers) => ({
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

  /** Searches every observable in one relay request and answers what `map` makes of each. */
  private async searchEach(
    context: RelayContext,
    unique: readonly SupportedObservable[],
    map: MapAnswers,
  ): Promise<ObserveResponse> {
    const request = this.qualys.beginRequest();
    try {
      const now = new Date();
      const outcomes = await Promise.all(
        unique.map((observable) => this.observeOne(context, observable, request, now, map)),
      );
      const observations = outcomes.flatMap((outcome) => outcome.observation ?? []);
      const entities = observations.flatMap((observation) => observation.entities ?? []);
      const verdicts = observations.flatMap((observation) => observation.verdict ?? []);
      const errors = outcomes.flatMap((outcome) => (outcome.error ? [outcome.error] : []));
      const late = outcomes.flatMap((outcome) => (outcome.late ? [outcome.late] : []));
      if (late.length > 0) {
        const waitingForLimits = late.some((search) => search.waitingForLimits);
        errors.push(
          deadlineReached(waitingForLimits, {
            unfinished: late.length,
            total: unique.length,
          }).toItem(),
        );
      }
      return buildObserveResponse(entities, errors, verdicts);
    } finally {
      request.end();
    }
  }

  private async observeOne(
    context: RelayContext,
    observable: SupportedObservable,
    request: RelayRequestScope,
    now: Date,
    map: MapAnswers,
  ): Promise<Outcome> {
    const limit = context.entitiesLimit;
    const filter = buildSearchFilter(observable);
    // Both searches at once: the original relay ran them one after the other.
    // A hard failure abandons the sibling search, so no call, retry or wait
    // outlives the answer; that failure is the one reported. Running out of
    // time or of rate budget is not a failure of the observable: what did
    // finish is kept (spec §9).
    const abandon = new AbortController();
    let firstFailure: unknown;
    const search = (active: boolean): Promise<SearchResult> =>
      this.qualys
        .searchEvents(context, { active, pageSize: limit, filter, request, signal: abandon.signal })
        .catch((error: unknown) => {
          if (!isPartial(error) && !abandon.signal.aborted) {
            firstFailure = error;
            abandon.abort();
          }
          throw error;
        });
    const [active, historical] = await Promise.allSettled([search(true), search(false)]);
    if (firstFailure !== undefined) return { error: this.asRelayError(firstFailure).toItem() };

    const outcome: Outcome = {};
    for (const settled of [active, historical]) {
      if (settled.status === 'fulfilled') continue;
      const reason: unknown = settled.reason;
      if (reason instanceof SearchDeadlineError) {
        outcome.late = {
          waitingForLimits: (outcome.late?.waitingForLimits ?? false) || reason.waitingForLimits,
        };
      } else {
        outcome.error = this.asRelayError(reason).toItem();
      }
    }
    try {
      outcome.observation = map(
        observable,
        {
          active: active.status === 'fulfilled' ? active.value : undefined,
          historical: historical.status === 'fulfilled' ? historical.value : undefined,
        },
        now,
      );
    } catch (error) {
      return { error: this.asRelayError(error).toItem() };
    }
    return outcome;
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

/** Spec §9: errors after which the observable keeps what its other search found. */
function isPartial(error: unknown): boolean {
  return error instanceof SearchDeadlineError || error instanceof RateLimitReachedError;
}
