import { describe, expect, it } from '@jest/globals';
import {
  fileEvent,
  MD5,
  networkEvent,
  NOW,
  SHA256,
  SHA256_OBSERVABLE,
} from '../../test/support/ctim-events.js';
import { expectValidCtim } from '../../tools/lib/ctim-validator.js';
import type { SupportedObservable } from '../common/observable.js';
import type { QualysEvent } from '../qualys/qualys-event.js';
import type { Verdict } from './ctim.types.js';
import { IndicatorMapper } from './indicator.mapper.js';
import { JudgementMapper } from './judgement.mapper.js';
import { ObservationMapper } from './observation.mapper.js';
import { RelationshipMapper } from './relationship.mapper.js';
import { SightingMapper } from './sighting.mapper.js';
import { hasVerdicts, VerdictMapper, type AnsweredSearch } from './verdict.mapper.js';

const mapper = new VerdictMapper();
const observation = new ObservationMapper(
  new SightingMapper(),
  new IndicatorMapper(),
  new JudgementMapper(),
  new RelationshipMapper(),
);

/** 2024-05-14T10:02:31.417Z: when Qualys answered, in the tests' own clock. */
const FETCHED_AT = Date.UTC(2024, 4, 14, 10, 2, 31, 417);
const HOUR = 3600;

/** A FILE event of `file` (default: the observable's file) judged by `verdicts`, in order. */
function judged(id: string, verdicts: unknown[], file = { sha256: SHA256, md5: MD5 }): QualysEvent {
  return {
    ...fileEvent(),
    id,
    file,
    indicator2: verdicts.map((verdict, n) => ({ verdict, threatName: `${id}/${n}` })),
  };
}

const answered = (events: readonly unknown[], fetchedAt = FETCHED_AT): AnsweredSearch => ({
  events,
  fetchedAt,
});

/** The verdict of `observable`, checked to be valid CTIM when there is one. */
function verdictOf(
  active: readonly unknown[],
  historical: readonly unknown[] = [],
  options: { observable?: SupportedObservable; limit?: number; seconds?: number } = {},
): Verdict | undefined {
  const verdict = mapper.toVerdict(
    options.observable ?? SHA256_OBSERVABLE,
    answered(active),
    answered(historical),
    options.limit ?? 100,
    options.seconds ?? HOUR,
  );
  if (verdict !== undefined) expectValidCtim(verdict);
  return verdict;
}

/** The disposition a verdict gives, or `none`. */
function dispositionOf(...args: Parameters<typeof verdictOf>): string {
  return verdictOf(...args)?.disposition_name ?? 'none';
}

describe('VerdictMapper.toVerdict (spec §13)', () => {
  it('builds the CTIM verdict field by field: observable, disposition pair, valid_time', () => {
    const observable = { type: 'sha256', value: SHA256, extra: 'dropped' } as SupportedObservable;
    expect(verdictOf([judged('a1', ['MALICIOUS'])], [], { observable })).toEqual({
      type: 'verdict',
      observable: { type: 'sha256', value: SHA256 },
      disposition: 2,
      disposition_name: 'Malicious',
      valid_time: {
        start_time: '2024-05-14T10:02:31.417Z',
        end_time: '2024-05-14T11:02:31.417Z',
      },
    });
  });

  it("follows CTIM's order whatever the order of the judgements: Clean, Malicious, Suspicious", () => {
    expect(dispositionOf([judged('a1', ['SUSPICIOUS', 'MALICIOUS', 'KNOWN'])])).toBe('Clean');
    expect(dispositionOf([judged('a1', ['SUSPICIOUS'])], [judged('h1', ['MALICIOUS'])])).toBe(
      'Malicious',
    );
    expect(dispositionOf([judged('a1', ['SUSPICIOUS', 'UNKNOWN'])])).toBe('Suspicious');
    // Spec §5: REMEDIATED is Malicious; KNOWN in a historical event still wins.
    expect(dispositionOf([judged('a1', ['REMEDIATED'])], [judged('h1', ['KNOWN'])])).toBe('Clean');
    expect(verdictOf([judged('a1', ['SUSPICIOUS', 'REMEDIATED'])])?.disposition).toBe(2);
  });

  it('gives none when every judgement is Unknown, and none without judgements', () => {
    expect(dispositionOf([judged('a1', ['UNKNOWN', 'POTENTIALLY_UNWANTED', undefined])])).toBe(
      'none',
    );
    expect(dispositionOf([judged('a1', [])], [{ ...fileEvent(), indicator2: undefined }])).toBe(
      'none',
    );
    expect(dispositionOf([], [])).toBe('none');
  });

  it('counts only events whose file hash is the observable, without regard to case', () => {
    const otherFile = judged('a1', ['KNOWN'], { sha256: 'cd'.repeat(32), md5: MD5 });
    expect(dispositionOf([otherFile, judged('a2', ['SUSPICIOUS'])])).toBe('Suspicious');
    // A NETWORK event has no file: its judgements are about the connection.
    expect(dispositionOf([networkEvent()])).toBe('none');
    const upper = { type: 'sha256', value: SHA256.toUpperCase() } as const;
    expect(dispositionOf([judged('a1', ['MALICIOUS'])], [], { observable: upper })).toBe(
      'Malicious',
    );
    const shouting = judged('a1', ['KNOWN'], { sha256: SHA256.toUpperCase(), md5: MD5 });
    expect(dispositionOf([shouting])).toBe('Clean');
  });

  it('reads the field of its own type: md5 compares file.md5, sha256 file.sha256', () => {
    const md5 = { type: 'md5', value: MD5 } as const;
    expect(dispositionOf([judged('a1', ['MALICIOUS'])], [], { observable: md5 })).toBe('Malicious');
    const swapped = judged('a1', ['MALICIOUS'], { sha256: MD5, md5: SHA256 });
    expect(dispositionOf([swapped], [], { observable: md5 })).toBe('none');
    expect(dispositionOf([swapped])).toBe('none');
  });

  it('counts only the judgements /observe keeps: a judgement beyond the limit does not count', () => {
    const active = [judged('a1', ['SUSPICIOUS', 'SUSPICIOUS'])];
    const historical = [judged('h1', ['KNOWN'])];
    expect(dispositionOf(active, historical, { limit: 3 })).toBe('Clean');
    expect(dispositionOf(active, historical, { limit: 2 })).toBe('Suspicious');
    // The cut is inside an event's indicator2 too, and entries that are not objects count for nothing.
    expect(dispositionOf([judged('a1', ['SUSPICIOUS', 'KNOWN'])], [], { limit: 1 })).toBe(
      'Suspicious',
    );
    expect(dispositionOf([null, 'x', judged('a1', ['KNOWN'])], [], { limit: 1 })).toBe('Clean');
    // Judgements of another file use up the limit as they do in /observe.
    const other = judged('a0', ['MALICIOUS'], { sha256: 'cd'.repeat(32), md5: MD5 });
    expect(dispositionOf([other, judged('a1', ['KNOWN'])], [], { limit: 1 })).toBe('none');
    expect(dispositionOf([judged('a1', ['KNOWN'])], [], { limit: 0 })).toBe('none');
  });

  it('starts when the older answer was fetched and lasts the configured seconds', () => {
    const verdict = mapper.toVerdict(
      SHA256_OBSERVABLE,
      answered([judged('a1', ['MALICIOUS'])], FETCHED_AT + 45_000),
      answered([], FETCHED_AT),
      100,
      60,
    );
    expect(verdict?.valid_time).toEqual({
      start_time: '2024-05-14T10:02:31.417Z',
      end_time: '2024-05-14T10:03:31.417Z',
    });
    const day = verdictOf([judged('a1', ['MALICIOUS'])], [], { seconds: 86_400 });
    expect(day?.valid_time.end_time).toBe('2024-05-15T10:02:31.417Z');
  });

  it('gives none for observables other than file hashes, whatever their events say', () => {
    for (const type of ['ip', 'domain', 'file_name', 'file_path', 'mutex'] as const) {
      const observable = { type, value: SHA256 };
      expect([type, dispositionOf([judged('a1', ['MALICIOUS'])], [], { observable })]).toEqual([
        type,
        'none',
      ]);
      expect(hasVerdicts(observable)).toBe(false);
    }
    expect(hasVerdicts({ type: 'constructor', value: 'x' })).toBe(false);
    expect(hasVerdicts({ type: 'md5', value: MD5 })).toBe(true);
  });

  it("names the first judgement of /observe's answer that counted with the winning disposition", () => {
    const other = judged('a0', ['KNOWN'], { sha256: 'cd'.repeat(32), md5: MD5 });
    const active = [other, judged('a1', ['SUSPICIOUS', 'KNOWN']), judged('a2', ['KNOWN'])];
    const historical = [judged('h1', ['KNOWN'])];
    const { judgements } = observation.map(SHA256_OBSERVABLE, active, historical, 100, NOW);
    const verdict = mapper.toVerdict(
      SHA256_OBSERVABLE,
      answered(active),
      answered(historical),
      100,
      HOUR,
      judgements,
    );
    expectValidCtim(verdict);
    // Not a0's (another file), not a1's first (Suspicious): a1's second.
    expect(judgements.map((j) => j.reason)).toEqual(['a0/0', 'a1/0', 'a1/1', 'a2/0', 'h1/0']);
    expect(verdict).toEqual({
      type: 'verdict',
      observable: SHA256_OBSERVABLE,
      disposition: 1,
      disposition_name: 'Clean',
      valid_time: {
        start_time: '2024-05-14T10:02:31.417Z',
        end_time: '2024-05-14T11:02:31.417Z',
      },
      judgement_id: judgements[2].id,
    });
  });

  it('names the judgement /observe kept under the limit, as ObservationMapper cuts it', () => {
    const active = [null, judged('a1', ['SUSPICIOUS']), judged('a2', ['MALICIOUS', 'KNOWN'])];
    const historical = [judged('h1', ['KNOWN'])];
    for (const limit of [1, 2, 3, 4]) {
      const { judgements } = observation.map(SHA256_OBSERVABLE, active, historical, limit, NOW);
      const verdict = mapper.toVerdict(
        SHA256_OBSERVABLE,
        answered(active),
        answered(historical),
        limit,
        HOUR,
        judgements,
      );
      const named = judgements.find((j) => j.id === verdict?.judgement_id);
      expect([limit, verdict?.disposition_name, named?.reason]).toEqual(
        [
          [1, 'Suspicious', 'a1/0'],
          [2, 'Malicious', 'a2/0'],
          [3, 'Clean', 'a2/1'],
          [4, 'Clean', 'a2/1'],
        ][limit - 1],
      );
    }
  });
});
