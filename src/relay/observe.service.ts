import { Injectable, Logger } from '@nestjs/common';
import type { RelayContext } from '../auth/relay-context.js';
import {
  uniqueSupportedObservables,
  type Observable,
  type SupportedObservable,
} from '../common/observable.js';
import { RelayError, unexpectedFailure, type RelayErrorItem } from '../common/relay-error.js';
import type { ObservationEntities } from '../ctim/ctim.types.js';
import { ObservationMapper } from '../ctim/observation.mapper.js';
import {
  QualysClient,
  SearchDeadlineError,
  type RelayRequestScope,
} from '../qualys/qualys.client.js';
import { deadlineReached, RateLimitReachedError } from '../qualys/qualys-errors.js';
import type { QualysEvent } from '../qualys/qualys-event.js';
import { buildSearchFilter } from '../qualys/search-filter.js';
import { buildObserveResponse, type ObserveResponse } from './observe-response.js';

/** How one observable ended: its entities (possibly partial), its error, and whether it ran out of time. */
interface Outcome {
  entities?: ObservationEntities;
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
 */
@Injectable()
export class ObserveService {
  private readonly logger = new Logger(ObserveService.name);

  constructor(
    private readonly qualys: QualysClient,
    private readonly mapper: ObservationMapper,
  ) {}

  async observe(
    context: RelayContext,
    observables: readonly Observable[],
  ): Promise<ObserveResponse> {
    const request = this.qualys.beginRequest();
    try {
      const now = new Date();
      const unique = uniqueSupportedObservables(observables);
      const outcomes = await Promise.all(
        unique.map((observable) => this.observeOne(context, observable, request, now)),
      );
      const entities = outcomes.flatMap((outcome) => (outcome.entities ? [outcome.entities] : []));
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
      return buildObserveResponse(entities, errors);
    } finally {
      request.end();
    }
  }

  private async observeOne(
    context: RelayContext,
    observable: SupportedObservable,
    request: RelayRequestScope,
    now: Date,
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
    const search = (active: boolean): Promise<QualysEvent[]> =>
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
      outcome.entities = this.mapper.map(
        observable,
        active.status === 'fulfilled' ? active.value : [],
        historical.status === 'fulfilled' ? historical.value : [],
        limit,
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
