import { Injectable, Logger } from '@nestjs/common';
import type { RelayContext } from '../auth/relay-context.js';
import {
  isSupportedObservableType,
  type Observable,
  type SupportedObservable,
} from '../common/observable.js';
import { RelayError, unexpectedFailure, type RelayErrorItem } from '../common/relay-error.js';
import type { ObservationEntities } from '../ctim/ctim.types.js';
import { ObservationMapper } from '../ctim/observation.mapper.js';
import { QualysClient } from '../qualys/qualys.client.js';
import { buildSearchFilter } from '../qualys/search-filter.js';
import { buildObserveResponse, type ObserveResponse } from './observe-response.js';

/** The supported observables of a request, in order, each once. */
export function uniqueSupportedObservables(
  observables: readonly Observable[],
): SupportedObservable[] {
  const seen = new Set<string>();
  const unique: SupportedObservable[] = [];
  for (const { type, value } of observables) {
    if (!isSupportedObservableType(type)) continue; // spec §2: skipped silently
    const key = `${type}\0${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push({ type, value });
  }
  return unique;
}

type Outcome = { ok: true; entities: ObservationEntities } | { ok: false; error: RelayErrorItem };

/**
 * Spec §5: searches Qualys for every observable — active and historical
 * searches of all observables at once, under the request's and the process's
 * concurrency caps — and maps what comes back to CTIM. One observable failing
 * does not sink the others: their entities are answered with its error.
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
    const schedule = this.qualys.requestScheduler();
    const now = new Date();
    const outcomes = await Promise.all(
      uniqueSupportedObservables(observables).map((observable) =>
        this.observeOne(context, observable, schedule, now),
      ),
    );
    const entities = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.entities] : []));
    const errors = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.error]));
    return buildObserveResponse(entities, errors);
  }

  private async observeOne(
    context: RelayContext,
    observable: SupportedObservable,
    schedule: <T>(task: () => Promise<T>) => Promise<T>,
    now: Date,
  ): Promise<Outcome> {
    const limit = context.entitiesLimit;
    const filter = buildSearchFilter(observable);
    // Both searches at once: the original relay ran them one after the other.
    // The first failure abandons the sibling search, so no call, retry or
    // wait outlives the answer; that failure is the one reported.
    const abandon = new AbortController();
    let firstFailure: unknown;
    const search = (active: boolean) =>
      this.qualys
        .searchEvents(context, {
          active,
          pageSize: limit,
          filter,
          schedule,
          signal: abandon.signal,
        })
        .catch((error: unknown) => {
          if (!abandon.signal.aborted) {
            firstFailure = error;
            abandon.abort();
          }
          throw error;
        });
    const [active, historical] = await Promise.allSettled([search(true), search(false)]);
    if (active.status === 'rejected' || historical.status === 'rejected') {
      return { ok: false, error: this.asRelayError(firstFailure).toItem() };
    }
    try {
      return {
        ok: true,
        entities: this.mapper.map(observable, active.value, historical.value, limit, now),
      };
    } catch (error) {
      return { ok: false, error: this.asRelayError(error).toItem() };
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
