import type { Observable } from '../common/observable.js';

/**
 * A CTIM observable built from type and value only: the request may carry
 * extra keys (spec §2: "Unknown extra keys are ignored"), and CTIM
 * observables are closed maps.
 */
export function ctimObservable(type: string, value: string): Observable {
  return { type, value };
}

/** `ctimObservable` of an existing observable, dropping any other key it carries. */
export function copyObservable(observable: Observable): Observable {
  return ctimObservable(observable.type, observable.value);
}
