import type { SupportedObservable } from '../common/observable.js';

/** What a mapper needs to know beyond the Qualys event itself. */
export interface MappingContext {
  /** The observable Threat Response asked about (spec §5: sightings and judgements carry it). */
  readonly observable: SupportedObservable;
  /** Whether the event came from the active search (`state=true`) or the historical one. */
  readonly active: boolean;
  /**
   * The request's clock, injected so mappers stay pure: the sighting's
   * observed_time when the event has no usable `dateTime`.
   */
  readonly now: Date;
}
