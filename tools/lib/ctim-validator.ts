/**
 * A strict validator for the CTIM (schema 1.0.17) entities the relay emits,
 * written from shared/docs/ctim.md. Tests run every produced entity and every
 * `/observe/observables` and `/deliberate/observables` body through it.
 *
 * Beyond CTIM's own strict layer it checks a few relay invariants, each marked
 * "relay:" below: times are the spec §5 normalised form
 * (`2024-05-14T09:12:44.000Z`), observable values are non-empty,
 * `schema_version` is exactly 1.0.17, and no value anywhere is `null` or
 * `undefined` (spec §5: "Fields with no value are omitted, never sent as
 * `null`"; an `undefined`-valued key would also slip past Jest's `toEqual`).
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

const SCHEMA_VERSION = '1.0.17';

const OBSERVABLE_TYPES = [
  'md5',
  'sha256',
  'file_name',
  'file_path',
  'ip',
  'domain',
  'mutex',
  'hostname',
  'mac_address',
];
// ctim.md: `Critical` only exists from 1.1.8 on.
const SEVERITIES = ['Info', 'Low', 'Medium', 'High', 'None', 'Unknown'];
const CONFIDENCES = ['Info', 'Low', 'Medium', 'High', 'None', 'Unknown'];
const DISPOSITIONS: readonly [number, string][] = [
  [1, 'Clean'],
  [2, 'Malicious'],
  [3, 'Suspicious'],
  [4, 'Common'],
  [5, 'Unknown'],
];
const COLUMN_TYPES = ['observable', 'string', 'markdown', 'integer', 'number', 'url'];
const TLPS = ['red', 'amber', 'green', 'white'];
// CTIM 1.0.x IndicatorTypeVocab (STIX 1.2).
const INDICATOR_TYPES = [
  'Anonymization',
  'C2',
  'Compromised PKI Certificate',
  'Domain Watchlist',
  'Exfiltration',
  'File Hash Watchlist',
  'Host Characteristics',
  'IMEI Watchlist',
  'IMSI Watchlist',
  'IP Watchlist',
  'Login Name',
  'Malicious E-mail',
  'Malware Artifacts',
  'URL Watchlist',
];
const SPECIFICATION_TYPES = ['Judgement', 'ThreatBrain', 'Snort', 'SIOC', 'OpenIOC'];

export const CTIM_ENTITY_TYPES = [
  'sighting',
  'indicator',
  'judgement',
  'relationship',
  'verdict',
] as const;
export type CtimEntityType = (typeof CTIM_ENTITY_TYPES)[number];
/** The four entities with CTIM's base fields (id, schema_version …); a verdict has none. */
type BaseEntityType = Exclude<CtimEntityType, 'verdict'>;

/** ctim.md: disposition_name "must match disposition". */
const DISPOSITION_PAIRS = DISPOSITIONS.map(([code, name]) => ({
  if: { required: ['disposition'], properties: { disposition: { const: code } } },
  then: { properties: { disposition_name: { const: name } } },
}));

const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
const arrayOf = (items: object) => ({ type: 'array', items });
const str = (maxLength?: number) =>
  maxLength === undefined ? { type: 'string' } : { type: 'string', maxLength };

/** Custom keyword: an object's `end_time` is not before its `start_time` (ctim.md ObservedTime). */
const END_NOT_BEFORE_START = 'ctimEndNotBeforeStart';

const definitions = {
  // ctim.md "Formats": `transient:<anything>`, at most 2048 characters.
  Id: { type: 'string', pattern: '^transient:\\S+$', maxLength: 2048 },
  Uri: { type: 'string', format: 'uri', minLength: 1, maxLength: 2048 },
  // relay: spec §5 normalised form, on top of a calendar-valid ISO-8601 instant.
  Time: {
    type: 'string',
    format: 'date-time',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
  },
  OpenVocab: { type: 'string', minLength: 1 },
  Severity: { enum: SEVERITIES },
  Confidence: { enum: CONFIDENCES },
  Observable: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'value'],
    properties: {
      type: { enum: OBSERVABLE_TYPES },
      value: { type: 'string', minLength: 1 }, // relay: CTIM itself sets no bound
    },
  },
  ObservedTime: {
    type: 'object',
    additionalProperties: false,
    required: ['start_time'],
    properties: { start_time: ref('Time'), end_time: ref('Time') },
    [END_NOT_BEFORE_START]: true,
  },
  ValidTime: {
    type: 'object',
    additionalProperties: false,
    properties: { start_time: ref('Time'), end_time: ref('Time') },
  },
  ExternalReference: {
    type: 'object',
    additionalProperties: false,
    required: ['source_name'],
    properties: {
      source_name: str(2048),
      description: str(5000),
      url: ref('Uri'),
      hashes: arrayOf(str()),
      external_id: str(),
    },
  },
  ObservedRelation: {
    type: 'object',
    additionalProperties: false,
    required: ['origin', 'relation', 'source', 'related'],
    properties: {
      origin: str(),
      origin_uri: ref('Uri'),
      relation: ref('OpenVocab'),
      relation_info: { type: 'object' },
      source: ref('Observable'),
      related: ref('Observable'),
    },
  },
  IdentitySpecification: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'observables', 'observed_time'],
    properties: {
      type: ref('OpenVocab'),
      observables: arrayOf(ref('Observable')),
      observed_time: ref('ObservedTime'),
      os: str(),
    },
  },
  SensorCoordinates: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'observables'],
    properties: {
      type: ref('OpenVocab'),
      observables: arrayOf(ref('Observable')),
      os: str(),
    },
  },
  SightingDataTable: {
    type: 'object',
    additionalProperties: false,
    required: ['columns', 'rows'],
    properties: {
      columns: arrayOf({
        type: 'object',
        additionalProperties: false,
        required: ['name', 'type'],
        properties: {
          name: str(),
          type: { enum: COLUMN_TYPES },
          description: str(),
          required: { type: 'boolean' },
          short_description: str(),
        },
      }),
      rows: arrayOf({ type: 'array' }),
      row_count: { type: 'integer', minimum: 0 },
    },
  },
  Sighting: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'type', 'schema_version', 'observed_time', 'confidence', 'count'],
    properties: {
      ...baseEntity('sighting'),
      observed_time: ref('ObservedTime'),
      confidence: ref('Confidence'),
      count: { type: 'integer', minimum: 0 },
      source: str(2048),
      source_uri: ref('Uri'),
      title: str(1024),
      description: str(5000),
      short_description: str(2048),
      severity: ref('Severity'),
      resolution: ref('OpenVocab'),
      internal: { type: 'boolean' },
      sensor: ref('OpenVocab'),
      sensor_coordinates: ref('SensorCoordinates'),
      targets: arrayOf(ref('IdentitySpecification')),
      observables: arrayOf(ref('Observable')),
      relations: arrayOf(ref('ObservedRelation')),
      data: ref('SightingDataTable'),
      context: { type: 'object' },
      activity_interval: ref('ObservedTime'),
      detection_interval: ref('ObservedTime'),
      modification_interval: ref('ObservedTime'),
    },
  },
  Indicator: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'type', 'schema_version', 'valid_time', 'producer'],
    properties: {
      ...baseEntity('indicator'),
      valid_time: ref('ValidTime'),
      producer: str(1024),
      source: str(2048),
      source_uri: ref('Uri'),
      title: str(1024),
      description: str(5000),
      short_description: str(2048),
      severity: ref('Severity'),
      confidence: ref('Confidence'),
      negate: { type: 'boolean' },
      indicator_type: arrayOf({ enum: INDICATOR_TYPES }),
      tags: arrayOf(str(1024)),
      likely_impact: str(5000),
      kill_chain_phases: arrayOf({
        type: 'object',
        additionalProperties: false,
        required: ['kill_chain_name', 'phase_name'],
        properties: { kill_chain_name: str(1024), phase_name: str(1024) },
      }),
      test_mechanisms: arrayOf(str(2048)),
      composite_indicator_expression: {
        type: 'object',
        additionalProperties: false,
        required: ['operator', 'indicator_ids'],
        properties: {
          operator: { enum: ['and', 'or', 'not'] },
          indicator_ids: arrayOf(ref('Id')),
        },
      },
      // The relay never emits one; only the kind of specification is checked.
      specification: {
        type: 'object',
        required: ['type'],
        properties: { type: { enum: SPECIFICATION_TYPES } },
      },
    },
  },
  Judgement: {
    type: 'object',
    additionalProperties: false,
    required: [
      'id',
      'type',
      'schema_version',
      'observable',
      'disposition',
      'disposition_name',
      'priority',
      'confidence',
      'severity',
      'valid_time',
      'source',
    ],
    properties: {
      ...baseEntity('judgement'),
      observable: ref('Observable'),
      disposition: { enum: DISPOSITIONS.map(([code]) => code) },
      disposition_name: { enum: DISPOSITIONS.map(([, name]) => name) },
      // ctim.md: 0–100 by convention.
      priority: { type: 'integer', minimum: 0, maximum: 100 },
      confidence: ref('Confidence'),
      severity: ref('Severity'),
      valid_time: ref('ValidTime'),
      source: str(2048),
      source_uri: ref('Uri'),
      reason: str(1024),
      reason_uri: ref('Uri'),
    },
    allOf: DISPOSITION_PAIRS,
  },
  // ctim.md "Verdict": not a base entity, so no id, schema_version or source.
  Verdict: {
    type: 'object',
    additionalProperties: false,
    // relay: disposition_name is optional in CTIM; spec §13 always sends it.
    required: ['type', 'disposition', 'disposition_name', 'observable', 'valid_time'],
    properties: {
      type: { const: 'verdict' },
      disposition: { enum: DISPOSITIONS.map(([code]) => code) },
      disposition_name: { enum: DISPOSITIONS.map(([, name]) => name) },
      observable: ref('Observable'),
      // relay: spec §13 gives both times, the end not before the start.
      valid_time: {
        type: 'object',
        additionalProperties: false,
        required: ['start_time', 'end_time'],
        properties: { start_time: ref('Time'), end_time: ref('Time') },
        [END_NOT_BEFORE_START]: true,
      },
      judgement_id: ref('Id'),
    },
    allOf: DISPOSITION_PAIRS,
  },
  Relationship: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'type', 'schema_version', 'relationship_type', 'source_ref', 'target_ref'],
    properties: {
      ...baseEntity('relationship'),
      relationship_type: ref('OpenVocab'),
      source_ref: ref('Id'),
      target_ref: ref('Id'),
      source: str(2048),
      source_uri: ref('Uri'),
      title: str(1024),
      description: str(5000),
      short_description: str(2048),
    },
  },
};

/** ctim.md "BaseEntity (all four)". */
function baseEntity(type: BaseEntityType) {
  return {
    id: ref('Id'),
    type: { const: type },
    schema_version: { const: SCHEMA_VERSION }, // relay: CTIM only asks for a string
    revision: { type: 'integer', minimum: 0 },
    external_ids: arrayOf(str()),
    external_references: arrayOf(ref('ExternalReference')),
    timestamp: ref('Time'),
    language: str(1024),
    tlp: { enum: TLPS },
  };
}

/** The whole JSON schema (draft-07), for anyone who wants to reuse it. */
export const CTIM_JSON_SCHEMA = { $id: 'ctim', definitions } as const;

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats.default(ajv);
ajv.addKeyword({
  keyword: END_NOT_BEFORE_START,
  type: 'object',
  schemaType: 'boolean',
  validate: (enabled: boolean, data: Record<string, unknown>) => {
    const { start_time: start, end_time: end } = data;
    if (!enabled || typeof start !== 'string' || typeof end !== 'string') {
      return true; // a missing or malformed time is reported by the Time schema
    }
    const [startMs, endMs] = [Date.parse(start), Date.parse(end)];
    return Number.isNaN(startMs) || Number.isNaN(endMs) || endMs >= startMs;
  },
});
ajv.addSchema(CTIM_JSON_SCHEMA);

const ENTITY_SCHEMAS: Record<CtimEntityType, string> = {
  sighting: 'Sighting',
  indicator: 'Indicator',
  judgement: 'Judgement',
  relationship: 'Relationship',
  verdict: 'Verdict',
};

function validatorFor(type: CtimEntityType) {
  const validate = ajv.getSchema(`ctim#/definitions/${ENTITY_SCHEMAS[type]}`);
  if (validate === undefined) {
    throw new Error(`CTIM schema for ${type} is missing`);
  }
  return validate;
}

const VALIDATORS = new Map(CTIM_ENTITY_TYPES.map((type) => [type, validatorFor(type)]));

function isEntityType(value: unknown): value is CtimEntityType {
  return (CTIM_ENTITY_TYPES as readonly unknown[]).includes(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One readable line per ajv error, e.g. `/severity must be one of: Info, Low, …`. */
function describe(error: ErrorObject): string | undefined {
  const at = error.instancePath === '' ? '/' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'if':
      return undefined; // the failing `then` branch below says what is wrong
    case 'enum':
      return `${at} must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `${at} must be ${JSON.stringify(params.allowedValue)}`;
    case 'additionalProperties':
      return `${at} has unknown key "${String(params.additionalProperty)}"`;
    case END_NOT_BEFORE_START:
      return `${at} end_time must not be before start_time`;
    default:
      return `${at} ${error.message ?? error.keyword}`;
  }
}

/**
 * relay: no `null`, no `undefined`-valued key, nothing that JSON cannot carry
 * (NaN, Infinity, functions, class instances such as Date), at any depth —
 * including the open `context`, `relation_info` and data-table rows.
 */
function nonJsonValues(value: unknown, path: string): string[] {
  const at = path === '' ? '/' : path;
  if (value === null) {
    return [`${at} must not be null (omit the key instead)`];
  }
  if (value === undefined) {
    return [`${at} must not be undefined (omit the key instead)`];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => nonJsonValues(item, `${path}/${index}`));
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return [];
    case 'number':
      return Number.isFinite(value) ? [] : [`${at} must be a finite number`];
    case 'object':
      if (Object.getPrototypeOf(value) !== Object.prototype) {
        return [`${at} must be a plain JSON object`];
      }
      return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
        nonJsonValues(item, `${path}/${key}`),
      );
    default:
      return [`${at} must be a JSON value, not a ${typeof value}`];
  }
}

/**
 * Validates one CTIM entity (sighting, indicator, judgement, relationship or
 * verdict, chosen by its `type`). Returns one message per problem; empty when valid.
 */
export function validateCtimEntity(entity: unknown): string[] {
  if (!isObject(entity)) {
    return ['/ must be a CTIM entity object'];
  }
  const problems = nonJsonValues(entity, '');
  if (!isEntityType(entity.type)) {
    return [...problems, `/type must be one of: ${CTIM_ENTITY_TYPES.join(', ')}`];
  }
  const validate = VALIDATORS.get(entity.type);
  if (validate !== undefined && !validate(entity)) {
    for (const error of validate.errors ?? []) {
      const message = describe(error);
      if (message !== undefined) {
        problems.push(message);
      }
    }
  }
  return [...new Set(problems)];
}

/** Jest helper: throws, listing every problem of every entity, unless all are valid. */
export function expectValidCtim(entities: unknown): void {
  const list: unknown[] = Array.isArray(entities) ? entities : [entities];
  const report = list.flatMap((entity, index) =>
    validateCtimEntity(entity).map((problem) => `  [${index}] ${label(entity)} ${problem}`),
  );
  if (report.length > 0) {
    throw new Error(`Invalid CTIM:\n${report.join('\n')}`);
  }
}

function label(entity: unknown): string {
  const type = isObject(entity) && typeof entity.type === 'string' ? entity.type : 'entity';
  const id = isObject(entity) && typeof entity.id === 'string' ? ` ${entity.id}` : '';
  return `${type}${id}:`;
}

/** Spec §5 response keys and the entity type each one holds. */
const RESPONSE_KEYS: Record<string, CtimEntityType> = {
  sightings: 'sighting',
  indicators: 'indicator',
  judgements: 'judgement',
  relationships: 'relationship',
  verdicts: 'verdict',
};

/**
 * Validates an `/observe/observables` body (spec §5):
 * `{"data": {"sightings": {"count", "docs"}, …}}` — every entity valid CTIM of
 * the key's type, `count` = `docs.length`, a key only when its list is
 * non-empty, ids unique, and every relationship pointing at entities of the
 * same body. A partial-failure body may also carry `errors` (spec §7).
 * Verdicts (spec §13, also the whole `/deliberate/observables` body): one per
 * observable, and a `judgement_id` names a judgement of the same body with
 * the verdict's observable and disposition.
 */
export function validateObserveResponse(body: unknown): string[] {
  if (!isObject(body) || !isObject(body.data)) {
    return ['body must be an object with a "data" object'];
  }
  const problems: string[] = [];
  for (const key of Object.keys(body)) {
    if (key !== 'data' && key !== 'errors') {
      problems.push(`body has unknown key "${key}"`);
    }
  }
  if ('errors' in body) {
    problems.push(...errorEnvelopeProblems(body.errors));
  }
  const ids = new Map<string, number>();
  const relationships: Record<string, unknown>[] = [];
  const verdicts: Record<string, unknown>[] = [];
  const judgements = new Map<string, Record<string, unknown>>();
  for (const [key, list] of Object.entries(body.data)) {
    const type = RESPONSE_KEYS[key];
    const at = `data.${key}`;
    if (type === undefined) {
      problems.push(`data has unknown key "${key}"`);
      continue;
    }
    if (!isObject(list) || !Array.isArray(list.docs)) {
      problems.push(`${at} must be {"count", "docs"}`);
      continue;
    }
    for (const extra of Object.keys(list).filter((k) => k !== 'count' && k !== 'docs')) {
      problems.push(`${at} has unknown key "${extra}"`);
    }
    const docs: unknown[] = list.docs;
    if (docs.length === 0) {
      problems.push(`${at} must be left out when it has no docs`);
    }
    if (list.count !== docs.length) {
      problems.push(`${at}.count is ${String(list.count)}, but docs has ${docs.length} entries`);
    }
    docs.forEach((doc, index) => {
      const docAt = `${at}.docs[${index}]`;
      if (isObject(doc) && doc.type !== type) {
        problems.push(`${docAt} is a ${String(doc.type)} among ${key}`);
      }
      problems.push(...validateCtimEntity(doc).map((problem) => `${docAt}${problem}`));
      if (isObject(doc) && typeof doc.id === 'string') {
        ids.set(doc.id, (ids.get(doc.id) ?? 0) + 1);
      }
      if (isObject(doc) && type === 'relationship') {
        relationships.push(doc);
      }
      if (isObject(doc) && type === 'verdict') {
        verdicts.push(doc);
      }
      if (isObject(doc) && type === 'judgement' && typeof doc.id === 'string') {
        judgements.set(doc.id, doc);
      }
    });
  }
  problems.push(...verdictProblems(verdicts, judgements));
  for (const [id, times] of ids) {
    if (times > 1) {
      problems.push(`id ${id} appears ${times} times`);
    }
  }
  relationships.forEach((relationship, index) => {
    for (const end of ['source_ref', 'target_ref']) {
      const target = relationship[end];
      if (typeof target === 'string' && !ids.has(target)) {
        problems.push(`data.relationships.docs[${index}].${end} ${target} is not in the body`);
      }
    }
  });
  return problems;
}

/** relay (spec §13): one verdict per observable, each naming a judgement that backs it. */
function verdictProblems(
  verdicts: readonly Record<string, unknown>[],
  judgements: ReadonlyMap<string, Record<string, unknown>>,
): string[] {
  const problems: string[] = [];
  const observables = new Set<string>();
  verdicts.forEach((verdict, index) => {
    const at = `data.verdicts.docs[${index}]`;
    const observable = JSON.stringify(verdict.observable);
    if (observables.has(observable)) problems.push(`${at} repeats the verdict on ${observable}`);
    observables.add(observable);
    if (typeof verdict.judgement_id !== 'string') return;
    const judgement = judgements.get(verdict.judgement_id);
    if (judgement === undefined) {
      problems.push(`${at}.judgement_id ${verdict.judgement_id} is not a judgement in the body`);
    } else if (
      judgement.disposition !== verdict.disposition ||
      JSON.stringify(judgement.observable) !== observable
    ) {
      problems.push(`${at}.judgement_id names a judgement of another observable or disposition`);
    }
  });
  return problems;
}

/** Spec §7 envelope: `[{"type": "fatal", "code", "message"}]`. */
function errorEnvelopeProblems(errors: unknown): string[] {
  const valid =
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every(
      (error) =>
        isObject(error) &&
        error.type === 'fatal' &&
        typeof error.code === 'string' &&
        typeof error.message === 'string',
    );
  return valid ? [] : ['errors must be a non-empty list of {"type": "fatal", "code", "message"}'];
}

/** Jest helper: throws, listing every problem, unless `body` is a valid observe response. */
export function expectValidObserveResponse(body: unknown): void {
  const problems = validateObserveResponse(body);
  if (problems.length > 0) {
    throw new Error(`Invalid /observe/observables body:\n  ${problems.join('\n  ')}`);
  }
}
