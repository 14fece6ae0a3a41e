import { describe, expect, it } from '@jest/globals';
import {
  FILE_EVENT_ID,
  FILE_NAME_OBSERVABLE,
  fileEvent,
  IP_OBSERVABLE,
  mutexEvent,
  MUTEX_OBSERVABLE,
  NETWORK_EVENT_ID,
  networkEvent,
  NOW,
  PROCESS_EVENT_ID,
  processEvent,
  SHA256_OBSERVABLE,
} from '../../test/support/ctim-events.js';
import { randomTransientIdOf } from '../../test/support/ctim-matchers.js';
import { expectValidCtim } from '../../tools/lib/ctim-validator.js';
import type { SupportedObservable } from '../common/observable.js';
import type { QualysEvent } from '../qualys/qualys-event.js';
import type { Judgement } from './ctim.types.js';
import { JudgementMapper } from './judgement.mapper.js';
import type { MappingContext } from './mapping-context.js';

const mapper = new JudgementMapper();
const JUDGEMENT_ID = randomTransientIdOf('judgement');

function ctx(observable: SupportedObservable): MappingContext {
  return { observable, active: true, now: NOW };
}

/** Maps, checks the results are valid CTIM, and returns them. */
function map(event: QualysEvent, observable = SHA256_OBSERVABLE): Judgement[] {
  const judgements = mapper.map(event, ctx(observable));
  expectValidCtim(judgements);
  return judgements;
}

function expectedJudgement(fields: {
  observable: SupportedObservable;
  externalIds: string[];
  severity: string;
  disposition: number;
  dispositionName: string;
  reason: string;
}): Judgement {
  return {
    id: JUDGEMENT_ID,
    type: 'judgement',
    schema_version: '1.0.17',
    source: 'Qualys IOC',
    confidence: 'High',
    priority: 90,
    observable: { type: fields.observable.type, value: fields.observable.value },
    severity: fields.severity,
    disposition: fields.disposition,
    disposition_name: fields.dispositionName,
    reason: fields.reason,
    valid_time: {},
    external_ids: fields.externalIds,
    external_references: [],
  } as Judgement;
}

describe('JudgementMapper', () => {
  it('maps the indicator2 entry of a FILE event', () => {
    expect(map(fileEvent())).toEqual([
      expectedJudgement({
        observable: SHA256_OBSERVABLE,
        externalIds: [FILE_EVENT_ID],
        severity: 'High',
        disposition: 2,
        dispositionName: 'Malicious',
        reason: 'Win32.Worm.Kolab',
      }),
    ]);
  });

  it('maps a PROCESS event', () => {
    expect(map(processEvent(), FILE_NAME_OBSERVABLE)).toEqual([
      expectedJudgement({
        observable: FILE_NAME_OBSERVABLE,
        externalIds: [PROCESS_EVENT_ID],
        severity: 'Medium',
        disposition: 3,
        dispositionName: 'Suspicious',
        reason: 'Suspicious.PowerShell.Encoded',
      }),
    ]);
  });

  it('maps every entry of a NETWORK event, in order, each with its own id', () => {
    const judgements = map(networkEvent(), IP_OBSERVABLE);
    const common = { observable: IP_OBSERVABLE, externalIds: [NETWORK_EVENT_ID], severity: 'High' };
    expect(judgements).toEqual([
      expectedJudgement({
        ...common,
        disposition: 2,
        dispositionName: 'Malicious',
        reason: 'Cobalt.Strike.Beacon',
      }),
      expectedJudgement({
        ...common,
        disposition: 2,
        dispositionName: 'Malicious',
        reason: 'Generic.C2',
      }),
    ]);
    expect(judgements[0]?.id).not.toBe(judgements[1]?.id);
  });

  it('gives no judgement for a MUTEX event without indicator2', () => {
    expect(map(mutexEvent(), MUTEX_OBSERVABLE)).toEqual([]);
  });

  it.each([
    ['KNOWN', 1, 'Clean'],
    ['MALICIOUS', 2, 'Malicious'],
    ['REMEDIATED', 2, 'Malicious'],
    ['SUSPICIOUS', 3, 'Suspicious'],
    ['UNKNOWN', 5, 'Unknown'],
    [undefined, 5, 'Unknown'],
    [null, 5, 'Unknown'],
    ['BENIGN', 5, 'Unknown'],
    ['malicious', 5, 'Unknown'],
    [3, 5, 'Unknown'],
  ])('maps the verdict %p to %i %s', (verdict, disposition, dispositionName) => {
    const event = { ...fileEvent(), indicator2: [{ verdict, threatName: 'T' }] };
    expect(map(event)).toEqual([
      expectedJudgement({
        observable: SHA256_OBSERVABLE,
        externalIds: [FILE_EVENT_ID],
        severity: 'High',
        disposition,
        dispositionName,
        reason: 'T',
      }),
    ]);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['an object', { verdict: 'MALICIOUS' }],
    ['a string', 'MALICIOUS'],
    ['empty', []],
  ])('gives no judgement when indicator2 is %s', (_name, indicator2) => {
    expect(map({ ...fileEvent(), indicator2 } as QualysEvent)).toEqual([]);
  });

  it('skips entries that are not objects', () => {
    const indicator2 = [null, 'MALICIOUS', 7, [{ verdict: 'KNOWN' }], { verdict: 'KNOWN' }];
    expect(map({ ...fileEvent(), indicator2 } as QualysEvent)).toEqual([
      expectedJudgement({
        observable: SHA256_OBSERVABLE,
        externalIds: [FILE_EVENT_ID],
        severity: 'High',
        disposition: 1,
        dispositionName: 'Clean',
        reason: '',
      }),
    ]);
  });

  it('takes the severity from the event score, not from indicator2[].score', () => {
    const indicator2 = [{ score: 10, verdict: 'MALICIOUS' }];
    const severities = [
      map({ ...fileEvent(), score: '2', indicator2 }),
      map({ ...fileEvent(), score: 0, indicator2 }),
      map({ ...fileEvent(), score: undefined, indicator2 }),
      map({ ...fileEvent(), score: 'abc', indicator2 }),
    ].map((judgements) => judgements.map((judgement) => judgement.severity));
    expect(severities).toEqual([['Low'], ['None'], ['Unknown'], ['Unknown']]);
  });

  it('sends an empty reason when threatName is missing, empty or not text', () => {
    const indicator2 = [
      { verdict: 'KNOWN' },
      { verdict: 'KNOWN', threatName: '' },
      { verdict: 'KNOWN', threatName: null },
      { verdict: 'KNOWN', threatName: { name: 'x' } },
    ];
    const reasons = map({ ...fileEvent(), indicator2 }).map((judgement) => judgement.reason);
    expect(reasons).toEqual(['', '', '', '']);
  });

  it('cuts a reason over 1024 characters (spec §5)', () => {
    const threatName = 'Trojan.'.repeat(200);
    const [judgement] = map({ ...fileEvent(), indicator2: [{ verdict: 'MALICIOUS', threatName }] });
    expect(judgement?.reason).toBe(threatName.slice(0, 1024));
  });

  it('sends no external id when the event has none', () => {
    const { id: _id, ...withoutId } = fileEvent();
    expect(map(withoutId).map((judgement) => judgement.external_ids)).toEqual([[]]);
  });

  it('carries only type and value of the queried observable', () => {
    const observable = { ...SHA256_OBSERVABLE, extra: 'dropped' } as SupportedObservable;
    expect(map(fileEvent(), observable).map((judgement) => judgement.observable)).toEqual([
      { type: 'sha256', value: SHA256_OBSERVABLE.value },
    ]);
    expect(Object.keys(map(fileEvent(), observable)[0]?.observable ?? {})).toEqual([
      'type',
      'value',
    ]);
  });
});
