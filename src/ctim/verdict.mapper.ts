/**
 * Spec §13 "Verdicts": one disposition per file hash, from the judgements
 * `/observe` gives it.
 */
import { Injectable } from '@nestjs/common';
import type { Observable, SupportedObservable } from '../common/observable.js';
import { copyObservable } from './ctim-observable.js';
import type { Judgement, Verdict } from './ctim.types.js';
import { isJsonObject, readField, readObjectList, readString } from './event-fields.js';
import { ctimTimeOf } from './qualys-time.js';
import { dispositionOfVerdict, UNKNOWN_DISPOSITION, type DispositionPair } from './tables.js';

/**
 * Spec §13: Qualys's `indicator2[].verdict` judges the event's file, so only
 * file hashes get verdicts; each is compared with the event's field of its
 * own type.
 */
const FILE_HASH_FIELDS = { md5: 'md5', sha256: 'sha256' } as const;

type FileHashType = keyof typeof FILE_HASH_FIELDS;

/** Whether an observable can have a verdict at all (spec §13: `md5` and `sha256` only). */
export function hasVerdicts(observable: Observable): observable is SupportedObservable & {
  type: FileHashType;
} {
  return Object.hasOwn(FILE_HASH_FIELDS, observable.type);
}

/** One search's events and when Qualys answered it (a cached answer: when it was fetched). */
export interface AnsweredSearch {
  events: readonly unknown[];
  /** Epoch ms. */
  fetchedAt: number;
}

/** A judgement that counts for the verdict: its place among the observable's judgements. */
interface Counted {
  index: number;
  pair: DispositionPair;
}

@Injectable()
export class VerdictMapper {
  /**
   * The verdict of `observable` from the answers of its two searches, read
   * in the order `/observe` maps them (active, then historical; entries that
   * are not objects skipped) with the same entity limit: the first `limit`
   * `indicator2` entries are its judgements. Those of events whose file hash
   * is the observable (case aside) and whose disposition is not Unknown
   * count; the lowest disposition wins — CTIM's order, Clean (1) over
   * Malicious (2) over Suspicious (3). Undefined when none counts, and for
   * observables other than file hashes.
   *
   * It is valid for `validSeconds` from the older of the two answers: Threat
   * Response then never keeps it longer than that past any data it rests on.
   *
   * `judgements`, when given, are the judgements `/observe` answers for the
   * same answers and limit: the verdict then names the first of them that
   * counted with the winning disposition.
   */
  toVerdict(
    observable: SupportedObservable,
    active: AnsweredSearch,
    historical: AnsweredSearch,
    limit: number,
    validSeconds: number,
    judgements?: readonly Judgement[],
  ): Verdict | undefined {
    if (!hasVerdicts(observable)) return undefined;
    const counted = countedJudgements(observable, active.events, historical.events, limit);
    const winner = counted.reduce<Counted | undefined>(
      (best, each) =>
        best === undefined || each.pair.disposition < best.pair.disposition ? each : best,
      undefined,
    );
    if (winner === undefined) return undefined;
    const start = Math.min(active.fetchedAt, historical.fetchedAt);
    const verdict: Verdict = {
      type: 'verdict',
      observable: copyObservable(observable),
      disposition: winner.pair.disposition,
      disposition_name: winner.pair.disposition_name,
      valid_time: {
        start_time: ctimTimeOf(start),
        end_time: ctimTimeOf(start + validSeconds * 1000),
      },
    };
    // `reduce` kept the first of the lowest disposition: the first such judgement.
    const judgementId = judgements?.[winner.index]?.id;
    if (judgementId !== undefined) verdict.judgement_id = judgementId;
    return verdict;
  }
}

/**
 * The observable's judgements as `ObservationMapper` cuts them (spec §5: at
 * most `limit`, in event order), keeping those that count for its verdict.
 */
function countedJudgements(
  observable: SupportedObservable & { type: FileHashType },
  activeEvents: readonly unknown[],
  historicalEvents: readonly unknown[],
  limit: number,
): Counted[] {
  const cap = Number.isInteger(limit) && limit > 0 ? limit : 0;
  const value = observable.value.toLowerCase();
  const field = FILE_HASH_FIELDS[observable.type];
  const counted: Counted[] = [];
  let index = 0;
  for (const events of [activeEvents, historicalEvents]) {
    for (const event of events) {
      if (index >= cap) return counted;
      if (!isJsonObject(event)) continue;
      const entries = readObjectList(event, 'indicator2').slice(0, cap - index);
      const sameFile = readString(readField(event, 'file'), field)?.toLowerCase() === value;
      for (const entry of entries) {
        const pair = dispositionOfVerdict(entry.verdict);
        if (sameFile && pair.disposition !== UNKNOWN_DISPOSITION.disposition) {
          counted.push({ index, pair });
        }
        index++;
      }
    }
  }
  return counted;
}
