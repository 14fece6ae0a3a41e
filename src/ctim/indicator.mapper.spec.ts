import { describe, expect, it } from '@jest/globals';
import {
  FILE_EVENT_ID,
  fileEvent,
  mutexEvent,
  NETWORK_EVENT_ID,
  networkEvent,
  PROCESS_EVENT_ID,
  processEvent,
  PYTHON_UUID5,
} from '../../test/support/ctim-events.js';
import { randomTransientIdOf } from '../../test/support/ctim-matchers.js';
import { expectValidCtim } from '../../tools/lib/ctim-validator.js';
import type { QualysEvent } from '../qualys/qualys-event.js';
import type { Indicator } from './ctim.types.js';
import { IndicatorMapper } from './indicator.mapper.js';

const mapper = new IndicatorMapper();

/** Maps, checks any result is valid CTIM, and returns it. */
function map(event: QualysEvent): Indicator | undefined {
  const indicator = mapper.map(event);
  if (indicator !== undefined) {
    expectValidCtim(indicator);
  }
  return indicator;
}

function expectedIndicator(fields: {
  id: string;
  externalIds: string[];
  title?: string;
  severity: string;
}): Indicator {
  return {
    id: fields.id,
    type: 'indicator',
    schema_version: '1.0.17',
    source: 'Qualys IOC',
    producer: 'Qualys IOC',
    confidence: 'High',
    ...(fields.title === undefined ? {} : { title: fields.title }),
    severity: fields.severity,
    valid_time: {},
    external_ids: fields.externalIds,
  } as Indicator;
}

const TABLE: readonly [number, string, string][] = [
  [0, 'Known Good', 'None'],
  [1, 'Remediated', 'High'],
  [2, 'Suspicious Low File event', 'Low'],
  [3, 'Suspicious Low Process event', 'Low'],
  [4, 'Suspicious Low Network event', 'Low'],
  [5, 'Suspicious Medium File event', 'Medium'],
  [6, 'Suspicious Medium Process event', 'Medium'],
  [7, 'Suspicious Medium Network event', 'Medium'],
  [8, 'Malicious File event', 'High'],
  [9, 'Malicious Process event', 'High'],
  [10, 'Malicious Network event', 'High'],
];

describe('IndicatorMapper', () => {
  it('maps a FILE event with the id the Python relay gave it', () => {
    expect(map(fileEvent())).toEqual(
      expectedIndicator({
        id: `transient:indicator-${PYTHON_UUID5[FILE_EVENT_ID]}`,
        externalIds: [FILE_EVENT_ID],
        title: 'Malicious File event',
        severity: 'High',
      }),
    );
  });

  it('maps a PROCESS event', () => {
    expect(map(processEvent())).toEqual(
      expectedIndicator({
        id: `transient:indicator-${PYTHON_UUID5[PROCESS_EVENT_ID]}`,
        externalIds: [PROCESS_EVENT_ID],
        title: 'Suspicious Medium Process event',
        severity: 'Medium',
      }),
    );
  });

  it('maps a NETWORK event whose score is a number', () => {
    expect(map(networkEvent())).toEqual(
      expectedIndicator({
        id: `transient:indicator-${PYTHON_UUID5[NETWORK_EVENT_ID]}`,
        externalIds: [NETWORK_EVENT_ID],
        title: 'Malicious Network event',
        severity: 'High',
      }),
    );
  });

  it('gives no indicator for a MUTEX event without score', () => {
    expect(map(mutexEvent())).toBeUndefined();
  });

  it('pins uuid v5 of "abc" in the X.500 namespace, computed with Python', () => {
    // python3 -c "import uuid;print(uuid.uuid5(uuid.NAMESPACE_X500,'abc'))"
    expect(map({ ...fileEvent(), id: 'abc' })?.id).toBe(
      'transient:indicator-53e882a6-63b1-578b-8bf1-8f0878cfa6b7',
    );
  });

  it('gives the same event the same id every time, and a numeric id the id of its text', () => {
    expect(map(fileEvent())?.id).toBe(map(fileEvent())?.id);
    expect(map({ ...fileEvent(), id: 42 })).toEqual(
      expectedIndicator({
        id: `transient:indicator-${PYTHON_UUID5['42']}`,
        externalIds: ['42'],
        title: 'Malicious File event',
        severity: 'High',
      }),
    );
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['an object', { value: 'x' }],
  ])('uses a random id and no external id when the event id is %s', (_name, id) => {
    const first = map({ ...fileEvent(), id });
    expect(first).toEqual(
      expectedIndicator({
        id: randomTransientIdOf('indicator'),
        externalIds: [],
        title: 'Malicious File event',
        severity: 'High',
      }),
    );
    expect(map({ ...fileEvent(), id })?.id).not.toBe(first?.id);
  });

  it.each(TABLE)(
    'maps score %i, as a string and as a number, to "%s" / %s',
    (score, title, severity) => {
      const expected = expectedIndicator({
        id: `transient:indicator-${PYTHON_UUID5[FILE_EVENT_ID]}`,
        externalIds: [FILE_EVENT_ID],
        title,
        severity,
      });
      expect([
        map({ ...fileEvent(), score: String(score) }),
        map({ ...fileEvent(), score }),
      ]).toEqual([expected, expected]);
    },
  );

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
  ])('gives no indicator when the score is %s', (_name, score) => {
    expect(map({ ...fileEvent(), score })).toBeUndefined();
  });

  it.each([['11'], ['-1'], ['abc'], [8.5], [true]])(
    'gives an indicator without title and with severity Unknown for the unknown score %p',
    (score) => {
      const indicator = map({ ...fileEvent(), score });
      expect(indicator).toEqual(
        expectedIndicator({
          id: `transient:indicator-${PYTHON_UUID5[FILE_EVENT_ID]}`,
          externalIds: [FILE_EVENT_ID],
          severity: 'Unknown',
        }),
      );
      expect(indicator !== undefined && 'title' in indicator).toBe(false);
    },
  );
});
