import { describe, expect, it } from '@jest/globals';
import {
  FILE_EVENT_ID,
  fileEvent,
  MD5,
  NOW,
  PYTHON_UUID5,
  SHA256,
  SHA256_OBSERVABLE,
} from '../../test/support/ctim-events.js';
import { randomTransientIdOf } from '../../test/support/ctim-matchers.js';
import { expectValidCtim, expectValidObserveResponse } from '../../tools/lib/ctim-validator.js';
import type { QualysEvent } from '../qualys/qualys-event.js';
import type { ObservationEntities, Relationship } from './ctim.types.js';
import { IndicatorMapper } from './indicator.mapper.js';
import { JudgementMapper } from './judgement.mapper.js';
import { ObservationMapper } from './observation.mapper.js';
import { RelationshipMapper } from './relationship.mapper.js';
import { SightingMapper } from './sighting.mapper.js';

const mapper = new ObservationMapper(
  new SightingMapper(),
  new IndicatorMapper(),
  new JudgementMapper(),
  new RelationshipMapper(),
);

/** A FILE event with its own id, a score (`null`: none) and `judgements` indicator2 entries. */
function event(id: string, judgements = 1, score: string | null = '8'): QualysEvent {
  return {
    ...fileEvent(),
    id,
    score,
    indicator2: Array.from({ length: judgements }, (_, index) => ({
      verdict: 'MALICIOUS',
      threatName: `${id}/threat-${index}`,
    })),
  };
}

/**
 * Maps, then checks the result is valid CTIM as the relay would send it: each
 * entity on its own, and together as an `/observe/observables` body.
 */
function map(
  active: readonly unknown[],
  historical: readonly unknown[],
  limit: number,
): ObservationEntities {
  const out = mapper.map(SHA256_OBSERVABLE, active, historical, limit, NOW);
  const { sightings, indicators, judgements, relationships } = out;
  expectValidCtim([...sightings, ...indicators, ...judgements, ...relationships]);
  const data: Record<string, { count: number; docs: unknown[] }> = {};
  const lists: [string, unknown[]][] = [
    ['sightings', sightings],
    ['indicators', indicators],
    ['judgements', judgements],
    ['relationships', relationships],
  ];
  for (const [key, docs] of lists) {
    if (docs.length > 0) {
      data[key] = { count: docs.length, docs };
    }
  }
  expectValidObserveResponse({ data });
  return out;
}

/** What the sequential algorithm kept, summarised as event ids and flags. */
function summary(out: ObservationEntities) {
  return {
    sightings: out.sightings.map((s) => [s.external_ids[0], s.data.rows[0]?.[0]]),
    indicators: out.indicators.map((i) => i.external_ids[0]),
    judgements: out.judgements.map((j) => j.reason),
  };
}

const rel = (source_ref: string, relationship_type: string, target_ref: string): Relationship =>
  ({
    id: randomTransientIdOf('relationship'),
    type: 'relationship',
    schema_version: '1.0.17',
    source: 'Qualys IOC',
    source_ref,
    target_ref,
    relationship_type,
    external_ids: [],
  }) as Relationship;

/** Spec §5 wiring for one event: judgements → indicator, sighting → judgements, sighting → indicator. */
function wiring(sighting?: string, judgements: string[] = [], indicator?: string): Relationship[] {
  return [
    ...(indicator === undefined ? [] : judgements.map((j) => rel(j, 'based-on', indicator))),
    ...(sighting === undefined ? [] : judgements.map((j) => rel(sighting, 'based-on', j))),
    ...(sighting === undefined || indicator === undefined
      ? []
      : [rel(sighting, 'sighting-of', indicator)]),
  ];
}

describe('ObservationMapper', () => {
  it('maps one event into its whole set of entities and relationships', () => {
    const out = map([fileEvent()], [], 100);
    const [sighting] = out.sightings;
    const [indicator] = out.indicators;
    const [judgement] = out.judgements;
    const observedTime = {
      start_time: '2024-05-14T09:12:44.000Z',
      end_time: '2024-05-14T09:12:44.000Z',
    };
    const fileRelation = (relation: string, source: string[], related: string[]) => ({
      origin: 'Qualys IOC',
      relation,
      source: { type: source[0], value: source[1] },
      related: { type: related[0], value: related[1] },
    });
    const path = 'C:\\Users\\alice\\Downloads\\invoice.exe';
    expect(out).toEqual({
      sightings: [
        {
          id: randomTransientIdOf('sighting'),
          type: 'sighting',
          schema_version: '1.0.17',
          source: 'Qualys IOC',
          confidence: 'High',
          count: 1,
          sensor: 'endpoint',
          external_ids: [FILE_EVENT_ID],
          external_references: [],
          observables: [{ type: 'sha256', value: SHA256 }],
          observed_time: observedTime,
          description: `A Qualys IOC event related to "${SHA256}"`,
          severity: 'High',
          targets: [
            {
              type: 'endpoint',
              observables: [
                { type: 'hostname', value: 'WIN10-FIN-07' },
                { type: 'ip', value: '10.10.10.29' },
                { type: 'mac_address', value: '00:50:56:a1:2b:3c' },
                { type: 'ip', value: 'fe80::f183:4a7b:3ee8:1576' },
              ],
              observed_time: observedTime,
              os: 'Microsoft Windows 10 Enterprise 10.0.19045 64-bit N/A Build 19045',
            },
          ],
          relations: [
            fileRelation('File_Name_Of', ['file_name', 'invoice.exe'], ['sha256', SHA256]),
            fileRelation('File_Name_Of', ['file_name', 'invoice.exe'], ['md5', MD5]),
            fileRelation('File_Path_Of', ['file_path', path], ['sha256', SHA256]),
            fileRelation('File_Path_Of', ['file_path', path], ['md5', MD5]),
          ],
          data: { columns: [{ name: 'Active', type: 'string' }], rows: [['True']], row_count: 1 },
        },
      ],
      indicators: [
        {
          id: `transient:indicator-${PYTHON_UUID5[FILE_EVENT_ID]}`,
          type: 'indicator',
          schema_version: '1.0.17',
          source: 'Qualys IOC',
          producer: 'Qualys IOC',
          confidence: 'High',
          title: 'Malicious File event',
          severity: 'High',
          valid_time: {},
          external_ids: [FILE_EVENT_ID],
        },
      ],
      judgements: [
        {
          id: randomTransientIdOf('judgement'),
          type: 'judgement',
          schema_version: '1.0.17',
          source: 'Qualys IOC',
          confidence: 'High',
          priority: 90,
          observable: { type: 'sha256', value: SHA256 },
          severity: 'High',
          disposition: 2,
          disposition_name: 'Malicious',
          reason: 'Win32.Worm.Kolab',
          valid_time: {},
          external_ids: [FILE_EVENT_ID],
          external_references: [],
        },
      ],
      relationships: [
        rel(judgement?.id ?? '', 'based-on', indicator?.id ?? ''),
        rel(sighting?.id ?? '', 'based-on', judgement?.id ?? ''),
        rel(sighting?.id ?? '', 'sighting-of', indicator?.id ?? ''),
      ],
    });
  });

  it('keeps active events before historical ones, up to the limit (2 active + 5 historical, L=3)', () => {
    const active = [event('a1'), event('a2')];
    const historical = [event('h1'), event('h2'), event('h3'), event('h4'), event('h5')];
    const out = map(active, historical, 3);
    expect(summary(out)).toEqual({
      sightings: [
        ['a1', 'True'],
        ['a2', 'True'],
        ['h1', 'False'],
      ],
      indicators: ['a1', 'a2', 'h1'],
      judgements: ['a1/threat-0', 'a2/threat-0', 'h1/threat-0'],
    });
    expect(out.relationships).toEqual(
      [0, 1, 2].flatMap((i) =>
        wiring(out.sightings[i]?.id, [out.judgements[i]?.id ?? ''], out.indicators[i]?.id),
      ),
    );
  });

  it('splits the judgements of an event at the limit and wires only the kept ones', () => {
    const out = map([event('a1', 2)], [event('h1', 2), event('h2', 2)], 3);
    expect(summary(out)).toEqual({
      sightings: [
        ['a1', 'True'],
        ['h1', 'False'],
        ['h2', 'False'],
      ],
      indicators: ['a1', 'h1', 'h2'],
      judgements: ['a1/threat-0', 'a1/threat-1', 'h1/threat-0'],
    });
    const [s1, s2, s3] = out.sightings.map((s) => s.id);
    const [i1, i2, i3] = out.indicators.map((i) => i.id);
    const [j1, j2, j3] = out.judgements.map((j) => j.id);
    expect(out.relationships).toEqual([
      ...wiring(s1, [j1 ?? '', j2 ?? ''], i1),
      ...wiring(s2, [j3 ?? ''], i2),
      ...wiring(s3, [], i3),
    ]);
    expect(out.relationships).toHaveLength(5 + 3 + 1);
  });

  it('counts each kind on its own: an event without score takes a sighting slot only', () => {
    const out = map([event('n1', 0, null)], [event('s1', 1), event('s2', 1)], 2);
    expect(summary(out)).toEqual({
      sightings: [
        ['n1', 'True'],
        ['s1', 'False'],
      ],
      indicators: ['s1', 's2'],
      judgements: ['s1/threat-0', 's2/threat-0'],
    });
    const [, s1] = out.sightings.map((s) => s.id);
    const [i1, i2] = out.indicators.map((i) => i.id);
    const [j1, j2] = out.judgements.map((j) => j.id);
    // s2 lost its sighting to the limit, so only its judgement → indicator link remains.
    expect(out.relationships).toEqual([
      ...wiring(s1, [j1 ?? ''], i1),
      ...wiring(undefined, [j2 ?? ''], i2),
    ]);
  });

  it('keeps judgements of events without score, without an indicator to base them on', () => {
    const out = map([event('n1', 2, null)], [], 5);
    expect(summary(out)).toEqual({
      sightings: [['n1', 'True']],
      indicators: [],
      judgements: ['n1/threat-0', 'n1/threat-1'],
    });
    const [s1] = out.sightings.map((s) => s.id);
    expect(out.relationships).toEqual(
      wiring(
        s1,
        out.judgements.map((j) => j.id),
      ),
    );
    expect(out.judgements.map((j) => j.severity)).toEqual(['Unknown', 'Unknown']);
  });

  it('skips entries that are not event objects without counting them', () => {
    const out = map([null, 'event', 42, [event('x')], event('a1')], [undefined, event('h1')], 2);
    expect(summary(out)).toEqual({
      sightings: [
        ['a1', 'True'],
        ['h1', 'False'],
      ],
      indicators: ['a1', 'h1'],
      judgements: ['a1/threat-0', 'h1/threat-0'],
    });
    expect(out.relationships).toHaveLength(6);
  });

  it('returns empty lists when there are no events', () => {
    expect(map([], [], 100)).toEqual({
      sightings: [],
      indicators: [],
      judgements: [],
      relationships: [],
    });
  });

  it.each([0, -1, 1.5, Number.NaN])(
    'keeps nothing for the limit %p, which is not a positive integer',
    (limit) => {
      expect(map([event('a1')], [event('h1')], limit)).toEqual({
        sightings: [],
        indicators: [],
        judgements: [],
        relationships: [],
      });
    },
  );

  it('dates every sighting from its event, or from the request clock', () => {
    const dated = { ...event('a1'), dateTime: '2024-05-14T11:12:44.000+0200' };
    const undated = { ...event('h1'), dateTime: undefined };
    const out = map([dated], [undated], 10);
    expect(out.sightings.map((s) => s.observed_time)).toEqual([
      { start_time: '2024-05-14T09:12:44.000Z', end_time: '2024-05-14T09:12:44.000Z' },
      { start_time: NOW.toISOString(), end_time: NOW.toISOString() },
    ]);
  });
});
