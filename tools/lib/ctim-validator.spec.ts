import { describe, expect, it } from '@jest/globals';
import {
  expectValidCtim,
  expectValidObserveResponse,
  validateCtimEntity,
  validateObserveResponse,
} from './ctim-validator.js';

const SIGHTING_ID = 'transient:sighting-6f1c1a52-6d0e-4c43-9f4c-0c3b1f7e2a10';
const INDICATOR_ID = 'transient:indicator-ac3ee68a-970b-5eed-9f06-2b47578e04a4';
const JUDGEMENT_ID = 'transient:judgement-0f6a9f7e-5a4b-4c3d-8e2f-1a0b9c8d7e6f';
const RELATIONSHIP_ID = 'transient:relationship-7d3e2c1b-0a9f-4e8d-b7c6-5a4b3c2d1e0f';
const TIME = '2024-05-14T09:12:44.000Z';

function sighting(): Record<string, unknown> {
  return {
    id: SIGHTING_ID,
    type: 'sighting',
    schema_version: '1.0.17',
    source: 'Qualys IOC',
    confidence: 'High',
    count: 1,
    sensor: 'endpoint',
    external_ids: ['F_1'],
    external_references: [],
    observables: [{ type: 'sha256', value: 'ab'.repeat(32) }],
    observed_time: { start_time: TIME, end_time: TIME },
    description: 'A Qualys IOC event related to "x"',
    severity: 'High',
    targets: [
      {
        type: 'endpoint',
        observables: [
          { type: 'hostname', value: 'WIN10' },
          { type: 'mac_address', value: '00:50:56:a1:2b:3c' },
        ],
        observed_time: { start_time: TIME, end_time: TIME },
        os: 'Windows',
      },
    ],
    relations: [
      {
        origin: 'Qualys IOC',
        relation: 'File_Name_Of',
        source: { type: 'file_name', value: 'a.exe' },
        related: { type: 'md5', value: '1577e6455a5d19413c9e0c7726983e8c' },
      },
    ],
    data: { columns: [{ name: 'Active', type: 'string' }], rows: [['True']], row_count: 1 },
  };
}

function indicator(): Record<string, unknown> {
  return {
    id: INDICATOR_ID,
    type: 'indicator',
    schema_version: '1.0.17',
    source: 'Qualys IOC',
    producer: 'Qualys IOC',
    confidence: 'High',
    title: 'Malicious File event',
    severity: 'High',
    valid_time: {},
    external_ids: ['F_1'],
  };
}

function judgement(): Record<string, unknown> {
  return {
    id: JUDGEMENT_ID,
    type: 'judgement',
    schema_version: '1.0.17',
    source: 'Qualys IOC',
    confidence: 'High',
    priority: 90,
    observable: { type: 'sha256', value: 'ab'.repeat(32) },
    severity: 'High',
    disposition: 2,
    disposition_name: 'Malicious',
    reason: 'Win32.Worm.Kolab',
    valid_time: {},
    external_ids: ['F_1'],
    external_references: [],
  };
}

function relationship(): Record<string, unknown> {
  return {
    id: RELATIONSHIP_ID,
    type: 'relationship',
    schema_version: '1.0.17',
    source: 'Qualys IOC',
    source_ref: SIGHTING_ID,
    target_ref: INDICATOR_ID,
    relationship_type: 'sighting-of',
    external_ids: [],
  };
}

function verdict(): Record<string, unknown> {
  return {
    type: 'verdict',
    observable: { type: 'sha256', value: 'ab'.repeat(32) },
    disposition: 2,
    disposition_name: 'Malicious',
    valid_time: { start_time: TIME, end_time: '2024-05-14T10:12:44.000Z' },
    judgement_id: JUDGEMENT_ID,
  };
}

function observeBody(): Record<string, unknown> {
  return {
    data: {
      sightings: { count: 1, docs: [sighting()] },
      indicators: { count: 1, docs: [indicator()] },
      judgements: { count: 1, docs: [judgement()] },
      relationships: { count: 1, docs: [relationship()] },
    },
  };
}

describe('validateCtimEntity', () => {
  it.each([
    ['sighting', sighting()],
    ['indicator', indicator()],
    ['judgement', judgement()],
    ['relationship', relationship()],
    ['verdict', verdict()],
  ])('accepts a valid %s', (_name, entity) => {
    expect(validateCtimEntity(entity)).toEqual([]);
  });

  it('accepts the optional CTIM fields the relay does not emit', () => {
    const rich = {
      ...sighting(),
      revision: 0,
      timestamp: TIME,
      language: 'en',
      tlp: 'amber',
      title: 'A title',
      short_description: 'short',
      source_uri: 'https://qualys.example/ioc/#/hunting',
      resolution: 'detected',
      internal: true,
      sensor_coordinates: { type: 'endpoint', observables: [{ type: 'ip', value: '10.0.0.1' }] },
      external_references: [{ source_name: 'Qualys', url: 'https://qualys.example/x' }],
      context: { anything: ['goes', 1, true] },
      observed_time: { start_time: TIME, end_time: '2024-05-14T10:00:00.000Z' },
    };
    expect(validateCtimEntity(rich)).toEqual([]);
  });

  it('rejects Critical severity, which only exists from CTIM 1.1.8 on', () => {
    expect(validateCtimEntity({ ...sighting(), severity: 'Critical' })).toEqual([
      '/severity must be one of: Info, Low, Medium, High, None, Unknown',
    ]);
  });

  it('rejects a disposition_name that does not match the disposition', () => {
    expect(validateCtimEntity({ ...judgement(), disposition: 1 })).toEqual([
      '/disposition_name must be "Clean"',
    ]);
  });

  it('rejects a disposition outside 1–5 and a name outside the vocabulary', () => {
    expect(validateCtimEntity({ ...judgement(), disposition: 6, disposition_name: 'Bad' })).toEqual(
      [
        '/disposition must be one of: 1, 2, 3, 4, 5',
        '/disposition_name must be one of: Clean, Malicious, Suspicious, Common, Unknown',
      ],
    );
  });

  it('rejects a null field, even where CTIM allows any value', () => {
    expect(validateCtimEntity({ ...indicator(), title: null })).toEqual([
      '/title must not be null (omit the key instead)',
      '/title must be string',
    ]);
    expect(validateCtimEntity({ ...sighting(), context: { pid: null } })).toEqual([
      '/context/pid must not be null (omit the key instead)',
    ]);
  });

  it('rejects an undefined-valued key, which toEqual would not notice', () => {
    expect(validateCtimEntity({ ...indicator(), title: undefined })).toEqual([
      '/title must not be undefined (omit the key instead)',
    ]);
  });

  it('rejects values JSON cannot carry', () => {
    expect(validateCtimEntity({ ...sighting(), count: Number.NaN })).toEqual([
      '/count must be a finite number',
      '/count must be integer',
    ]);
    expect(validateCtimEntity({ ...sighting(), context: { at: new Date(0) } })).toEqual([
      '/context/at must be a plain JSON object',
    ]);
  });

  it('rejects strings over the CTIM limits', () => {
    expect(validateCtimEntity({ ...indicator(), title: 'x'.repeat(1025) })).toEqual([
      '/title must NOT have more than 1024 characters',
    ]);
    expect(validateCtimEntity({ ...judgement(), reason: 'x'.repeat(1025) })).toEqual([
      '/reason must NOT have more than 1024 characters',
    ]);
    expect(validateCtimEntity({ ...sighting(), description: 'x'.repeat(5001) })).toEqual([
      '/description must NOT have more than 5000 characters',
    ]);
    expect(validateCtimEntity({ ...indicator(), title: 'x'.repeat(1024) })).toEqual([]);
  });

  it('rejects unknown keys: CTIM entities are closed maps', () => {
    expect(validateCtimEntity({ ...indicator(), score: '8' })).toEqual([
      '/ has unknown key "score"',
    ]);
    const target = { ...(sighting().targets as object[])[0], hostName: 'WIN10' };
    expect(validateCtimEntity({ ...sighting(), targets: [target] })).toEqual([
      '/targets/0 has unknown key "hostName"',
    ]);
  });

  it('rejects an empty source_uri', () => {
    expect(validateCtimEntity({ ...relationship(), source_uri: '' })).toEqual([
      '/source_uri must NOT have fewer than 1 characters',
      '/source_uri must match format "uri"',
    ]);
  });

  it('rejects ids and references that are not transient ids of at most 2048 characters', () => {
    expect(validateCtimEntity({ ...sighting(), id: 'sighting-1' })).toEqual([
      '/id must match pattern "^transient:\\S+$"',
    ]);
    expect(validateCtimEntity({ ...relationship(), target_ref: 'transient:' })).toEqual([
      '/target_ref must match pattern "^transient:\\S+$"',
    ]);
    expect(
      validateCtimEntity({ ...relationship(), source_ref: `transient:${'a'.repeat(2039)}` }),
    ).toEqual(['/source_ref must NOT have more than 2048 characters']);
  });

  it('rejects times that are not normalised UTC instants', () => {
    const at = (start_time: string) => ({ ...sighting(), observed_time: { start_time } });
    expect(validateCtimEntity(at('2024-05-14T09:12:44.000+0000'))).toEqual([
      '/observed_time/start_time must match pattern "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$"',
    ]);
    expect(validateCtimEntity(at('2024-02-30T09:12:44.000Z'))).toEqual([
      '/observed_time/start_time must match format "date-time"',
    ]);
    expect(validateCtimEntity(at('yesterday'))).toEqual([
      '/observed_time/start_time must match pattern "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$"',
      '/observed_time/start_time must match format "date-time"',
    ]);
  });

  it('rejects an observed_time that ends before it starts', () => {
    const observed_time = { start_time: TIME, end_time: '2024-05-14T09:12:43.999Z' };
    expect(validateCtimEntity({ ...sighting(), observed_time })).toEqual([
      '/observed_time end_time must not be before start_time',
    ]);
  });

  it('rejects a missing required field and a wrong schema_version', () => {
    const { producer: _producer, ...withoutProducer } = indicator();
    expect(validateCtimEntity({ ...withoutProducer, schema_version: '1.1.8' })).toEqual([
      "/ must have required property 'producer'",
      '/schema_version must be "1.0.17"',
    ]);
  });

  it('rejects an observable of a type outside the CTIM vocabulary, or an empty value', () => {
    expect(validateCtimEntity({ ...judgement(), observable: { type: 'hash', value: '' } })).toEqual(
      [
        '/observable/type must be one of: md5, sha256, file_name, file_path, ip, domain, mutex, hostname, mac_address',
        '/observable/value must NOT have fewer than 1 characters',
      ],
    );
  });

  it('rejects a confidence outside the vocabulary and a priority over 100', () => {
    expect(validateCtimEntity({ ...judgement(), confidence: 'high', priority: 101 })).toEqual([
      '/priority must be <= 100',
      '/confidence must be one of: Info, Low, Medium, High, None, Unknown',
    ]);
  });

  it('rejects what is not a CTIM entity', () => {
    expect(validateCtimEntity(null)).toEqual(['/ must be a CTIM entity object']);
    expect(validateCtimEntity([sighting()])).toEqual(['/ must be a CTIM entity object']);
    expect(validateCtimEntity({ ...sighting(), type: 'bundle' })).toEqual([
      '/type must be one of: sighting, indicator, judgement, relationship, verdict',
    ]);
  });

  it('holds a verdict to ctim.md: no base fields, a matching pair, both valid times in order', () => {
    expect(
      validateCtimEntity({ ...verdict(), id: JUDGEMENT_ID, schema_version: '1.0.17' }),
    ).toEqual(['/ has unknown key "id"', '/ has unknown key "schema_version"']);
    expect(validateCtimEntity({ ...verdict(), disposition: 1 })).toEqual([
      '/disposition_name must be "Clean"',
    ]);
    expect(validateCtimEntity({ ...verdict(), valid_time: { start_time: TIME } })).toEqual([
      "/valid_time must have required property 'end_time'",
    ]);
    expect(
      validateCtimEntity({
        ...verdict(),
        valid_time: { start_time: TIME, end_time: '2024-05-14T08:00:00.000Z' },
      }),
    ).toEqual(['/valid_time end_time must not be before start_time']);
    expect(validateCtimEntity({ ...verdict(), judgement_id: 'judgement-1' })).toEqual([
      '/judgement_id must match pattern "^transient:\\S+$"',
    ]);
    const { judgement_id: _id, ...withoutJudgement } = verdict();
    expect(validateCtimEntity(withoutJudgement)).toEqual([]);
  });
});

describe('expectValidCtim', () => {
  it('passes valid entities, one or many', () => {
    expect(() => expectValidCtim([sighting(), indicator(), judgement()])).not.toThrow();
    expect(() => expectValidCtim(relationship())).not.toThrow();
  });

  it('throws a readable list naming each bad entity', () => {
    expect(() => expectValidCtim([indicator(), { ...sighting(), severity: 'Critical' }])).toThrow(
      new Error(
        `Invalid CTIM:\n  [1] sighting ${SIGHTING_ID}: /severity must be one of: Info, Low, Medium, High, None, Unknown`,
      ),
    );
  });
});

describe('validateObserveResponse', () => {
  it('accepts a valid body, and the empty one', () => {
    expect(validateObserveResponse(observeBody())).toEqual([]);
    expect(validateObserveResponse({ data: {} })).toEqual([]);
    expect(() => expectValidObserveResponse(observeBody())).not.toThrow();
  });

  it('accepts data next to an error envelope (spec §7 partial success)', () => {
    const errors = [{ type: 'fatal', code: 'too many requests', message: 'Too many requests' }];
    expect(validateObserveResponse({ ...observeBody(), errors })).toEqual([]);
    expect(validateObserveResponse({ ...observeBody(), errors: [{ code: 'x' }] })).toEqual([
      'errors must be a non-empty list of {"type": "fatal", "code", "message"}',
    ]);
  });

  it('rejects a count that differs from docs.length, and an empty list', () => {
    const body = observeBody();
    const data = body.data as Record<string, unknown>;
    data.sightings = { count: 2, docs: [sighting()] };
    data.indicators = { count: 0, docs: [] };
    expect(validateObserveResponse(body)).toEqual([
      'data.sightings.count is 2, but docs has 1 entries',
      'data.indicators must be left out when it has no docs',
      `data.relationships.docs[0].target_ref ${INDICATOR_ID} is not in the body`,
    ]);
  });

  it('validates every entity and its place in the body', () => {
    const body = observeBody();
    const data = body.data as Record<string, unknown>;
    data.judgements = { count: 2, docs: [judgement(), { ...indicator(), severity: 'Critical' }] };
    expect(validateObserveResponse(body)).toEqual([
      'data.judgements.docs[1] is a indicator among judgements',
      'data.judgements.docs[1]/severity must be one of: Info, Low, Medium, High, None, Unknown',
      `id ${INDICATOR_ID} appears 2 times`,
    ]);
  });

  it('rejects unknown keys and shapes', () => {
    expect(validateObserveResponse({ data: { bundles: { count: 0, docs: [] } }, x: 1 })).toEqual([
      'body has unknown key "x"',
      'data has unknown key "bundles"',
    ]);
    expect(validateObserveResponse({ data: { sightings: [sighting()] } })).toEqual([
      'data.sightings must be {"count", "docs"}',
    ]);
    expect(validateObserveResponse({ errors: [] })).toEqual([
      'body must be an object with a "data" object',
    ]);
  });

  it('accepts verdicts, alone (a /deliberate body) or naming a judgement of the body', () => {
    const { judgement_id: _id, ...alone } = verdict();
    expect(validateObserveResponse({ data: { verdicts: { count: 1, docs: [alone] } } })).toEqual(
      [],
    );
    const body = observeBody();
    (body.data as Record<string, unknown>).verdicts = { count: 1, docs: [verdict()] };
    expect(validateObserveResponse(body)).toEqual([]);
  });

  it('rejects a second verdict on one observable, and a judgement_id the body does not back', () => {
    const other = { ...verdict(), judgement_id: 'transient:judgement-other' };
    const clean = { ...verdict(), disposition: 1, disposition_name: 'Clean' };
    const body = observeBody();
    (body.data as Record<string, unknown>).verdicts = { count: 2, docs: [other, clean] };
    expect(validateObserveResponse(body)).toEqual([
      'data.verdicts.docs[0].judgement_id transient:judgement-other is not a judgement in the body',
      `data.verdicts.docs[1] repeats the verdict on {"type":"sha256","value":"${'ab'.repeat(32)}"}`,
      'data.verdicts.docs[1].judgement_id names a judgement of another observable or disposition',
    ]);
  });

  it('throws a readable list from the helper', () => {
    const body = { data: { relationships: { count: 1, docs: [relationship()] } } };
    expect(() => expectValidObserveResponse(body)).toThrow(
      new Error(
        'Invalid /observe/observables body:\n' +
          `  data.relationships.docs[0].source_ref ${SIGHTING_ID} is not in the body\n` +
          `  data.relationships.docs[0].target_ref ${INDICATOR_ID} is not in the body`,
      ),
    );
  });
});
