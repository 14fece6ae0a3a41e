/**
 * Property tests of the CTIM mapping (issue #6, spec §5 and §7: "Missing data
 * never crashes a mapping"): any Qualys event shape — missing, extra and
 * wrongly typed fields, nulls, numbers where strings are expected, deep
 * nesting, huge and odd Unicode strings — fed to `ObservationMapper` never
 * throws, and every entity it emits is valid CTIM.
 *
 * Events go through a JSON round trip first, because that is all production
 * ever hands the mapper (`JSON.parse` of the Qualys answer). Fixed seeds and
 * bounded runs keep the suite fast and repeatable.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SUPPORTED_OBSERVABLE_TYPES, type SupportedObservable } from '../src/common/observable.js';
import { IndicatorMapper } from '../src/ctim/indicator.mapper.js';
import { JudgementMapper } from '../src/ctim/judgement.mapper.js';
import { ObservationMapper } from '../src/ctim/observation.mapper.js';
import { RelationshipMapper } from '../src/ctim/relationship.mapper.js';
import { SightingMapper } from '../src/ctim/sighting.mapper.js';
import { VerdictMapper } from '../src/ctim/verdict.mapper.js';
import type { ObservationEntities } from '../src/ctim/ctim.types.js';
import { normaliseQualysTime } from '../src/ctim/qualys-time.js';
import { buildObserveResponse } from '../src/relay/observe-response.js';
import { validateCtimEntity, validateObserveResponse } from '../tools/lib/ctim-validator.js';

/** Fixed by default; FUZZ_SEED / FUZZ_RUNS explore further (FUZZ_RUNS=5000 npm test -- test/fuzz-). */
const SEED = Number(process.env.FUZZ_SEED ?? 20240514);
const runs = (n: number) => Number(process.env.FUZZ_RUNS ?? n);
const mapper = new ObservationMapper(
  new SightingMapper(),
  new IndicatorMapper(),
  new JudgementMapper(),
  new RelationshipMapper(),
);
const NOW = new Date('2024-06-01T12:00:00.000Z');

// --- arbitraries -------------------------------------------------------------

/** Strings that stress CTIM lengths and UTF-16 handling. */
const oddString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff',
    'a\ud83d',
    '😀',
    '"\\',
    '__proto__',
    'constructor',
  ),
  // Around the 1024 and 5000 limits, with a surrogate pair that a cut could split.
  fc
    .tuple(fc.integer({ min: 990, max: 5100 }), fc.boolean())
    .map(([n, emoji]) => (emoji ? `${'x'.repeat(n % 2)}${'😀'.repeat(n >> 1)}` : 'y'.repeat(n))),
);

const anyJson = fc.jsonValue({ maxDepth: 3 });

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

/** Deeply nested arrays/objects (JSON.parse handles depth well; recursive code may not). */
const deepNesting = fc.integer({ min: 50, max: 2000 }).map((depth) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { nested: value };
  return value;
});

/** A value of the expected kind most of the time, anything else otherwise. */
const loosely = <T>(typical: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: typical },
    { weight: 1, arbitrary: fc.constantFrom(null, 0, -1, 1e21, true, false, [], {}, '') },
    { weight: 1, arbitrary: oddString },
    { weight: 1, arbitrary: anyJson },
  );

const qualysTime = fc
  .record({
    y: fc.integer({ min: 0, max: 10000 }),
    mo: fc.integer({ min: 0, max: 13 }),
    d: fc.integer({ min: 0, max: 32 }),
    h: fc.integer({ min: 0, max: 25 }),
    mi: fc.integer({ min: 0, max: 61 }),
    s: fc.integer({ min: 0, max: 61 }),
    frac: fc.constantFrom('', '.0', '.000', '.123456789', ',5'),
    zone: fc.constantFrom('', 'Z', 'z', '+0000', '+00:00', '-0530', '+14', '+2400', '-23:59', '+1'),
    sep: fc.constantFrom('T', ' ', 't'),
  })
  .map(({ y, mo, d, h, mi, s, frac, zone, sep }) => {
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return `${p(y, 4)}-${p(mo)}-${p(d)}${sep}${p(h)}:${p(mi)}:${p(s)}${frac}${zone}`;
  });

const score = fc.oneof(
  fc.integer({ min: -2, max: 12 }),
  fc.integer({ min: -2, max: 12 }).map(String),
  fc.constantFrom('08', ' 8 ', '8.0', '8.5', 8.5, -0, '1e1', '０', 'ten', '10 '),
);

const verdict = fc.constantFrom(
  'KNOWN',
  'MALICIOUS',
  'REMEDIATED',
  'SUSPICIOUS',
  'UNKNOWN',
  'known',
  'hasOwnProperty',
  '',
);

const extraFields = fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 });

/** `fc.record` with every key optional, plus unknown extra keys. */
function looseRecord(model: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc
    .tuple(fc.record(model, { requiredKeys: [] }), extraFields)
    .map(([known, extra]) => ({ ...extra, ...known }));
}

const asset = looseRecord({
  netBiosName: loosely(fc.string({ maxLength: 15 })),
  fullOSName: loosely(fc.string({ maxLength: 40 })),
  interfaces: loosely(
    fc.array(
      loosely(
        looseRecord({
          ipAddress: loosely(fc.ipV4()),
          macAddress: loosely(fc.mixedCase(hex(12))),
          hostname: loosely(fc.domain()),
        }),
      ),
      { maxLength: 3 },
    ),
  ),
});

const indicator2Entry = looseRecord({
  verdict: loosely(verdict),
  threatName: loosely(oddString),
  score: loosely(score),
  category: loosely(fc.string({ maxLength: 8 })),
});

/** Anything a Qualys event might look like, realistic or not. */
const qualysEvent: fc.Arbitrary<unknown> = looseRecord({
  id: loosely(fc.uuid()),
  dateTime: loosely(qualysTime),
  type: loosely(fc.constantFrom('FILE', 'PROCESS', 'NETWORK', 'MUTEX')),
  action: loosely(fc.string({ maxLength: 8 })),
  score: loosely(score),
  asset: loosely(asset),
  file: loosely(
    looseRecord({
      fileName: loosely(oddString),
      fullPath: loosely(oddString),
      sha256: loosely(hex(64)),
      md5: loosely(hex(32)),
    }),
  ),
  process: loosely(looseRecord({ processName: loosely(oddString) })),
  network: loosely(
    looseRecord({
      localIP: loosely(fc.ipV4()),
      remoteIP: loosely(fc.oneof(fc.ipV4(), fc.ipV6())),
      remoteDns: loosely(fc.domain()),
    }),
  ),
  handle: loosely(looseRecord({ name: loosely(oddString) })),
  indicator2: loosely(fc.array(loosely(indicator2Entry), { maxLength: 4 })),
  deep: fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: deepNesting },
  ),
});

/** A list as `JSON.parse` of a Qualys answer gives it: mostly events, sometimes junk entries. */
const eventList = fc
  .array(fc.oneof({ weight: 6, arbitrary: qualysEvent }, { weight: 1, arbitrary: anyJson }), {
    maxLength: 6,
  })
  .map((events) => JSON.parse(JSON.stringify(events)) as unknown[]);

const observable: fc.Arbitrary<SupportedObservable> = fc.record({
  type: fc.constantFrom(...SUPPORTED_OBSERVABLE_TYPES),
  value: oddString.filter((value) => value !== ''),
});

const limit = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 2.5, Number.NaN) },
);

// --- properties ---------------------------------------------------------------

function invalidEntities(entities: ObservationEntities): string[] {
  return [
    ...entities.sightings,
    ...entities.indicators,
    ...entities.judgements,
    ...entities.relationships,
  ].flatMap((entity) => validateCtimEntity(entity).map((problem) => `${entity.type} ${problem}`));
}

describe('ObservationMapper under arbitrary Qualys events (fuzz)', () => {
  it('never throws, and emits only valid CTIM within the entity limit', () => {
    fc.assert(
      fc.property(observable, eventList, eventList, limit, (obs, active, historical, cap) => {
        const entities = mapper.map(obs, active, historical, cap, NOW);
        expect(invalidEntities(entities)).toEqual([]);
        const max = Number.isInteger(cap) && cap > 0 ? cap : 0;
        expect(entities.sightings.length).toBeLessThanOrEqual(max);
        expect(entities.indicators.length).toBeLessThanOrEqual(max);
        expect(entities.judgements.length).toBeLessThanOrEqual(max);
      }),
      { seed: SEED, numRuns: runs(400) },
    );
  });

  it('builds /observe/observables bodies whose relationships point inside the body', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(observable, eventList, eventList), { maxLength: 3 }),
        (parts) => {
          const results = parts.map(([obs, active, historical]) =>
            mapper.map(obs, active, historical, 3, NOW),
          );
          expect(validateObserveResponse(buildObserveResponse(results, []))).toEqual([]);
        },
      ),
      { seed: SEED + 1, numRuns: runs(150) },
    );
  });

  it('gives a verdict only from a judgement /observe keeps for that file, naming it', () => {
    const verdicts = new VerdictMapper();
    let given = 0;
    // The observable is the file hash of one of the events, so verdicts do happen.
    const hashOf = (events: unknown[], type: 'md5' | 'sha256', pick: number): string => {
      const files = events.map((event) => (event as { file?: unknown } | null)?.file);
      const hashes = files.flatMap((file) => {
        const hash = (file as Record<string, unknown> | null | undefined)?.[type];
        return typeof hash === 'string' && hash !== '' ? [hash] : [];
      });
      return hashes.length > 0 ? hashes[pick % hashes.length] : 'ab'.repeat(32);
    };
    fc.assert(
      fc.property(
        fc.constantFrom('md5' as const, 'sha256' as const),
        fc.nat(),
        eventList,
        eventList,
        limit,
        (type, pick, active, historical, cap) => {
          const obs = { type, value: hashOf([...active, ...historical], type, pick) };
          const { judgements } = mapper.map(obs, active, historical, cap, NOW);
          const verdict = verdicts.toVerdict(
            obs,
            { events: active, fetchedAt: NOW.getTime() },
            { events: historical, fetchedAt: NOW.getTime() },
            cap,
            3600,
            judgements,
          );
          if (verdict === undefined) return;
          given++;
          expect(validateCtimEntity(verdict)).toEqual([]);
          // The named judgement is one /observe answers, with the verdict's disposition, never Unknown.
          const named = judgements.find((j) => j.id === verdict.judgement_id);
          expect([named?.disposition, named?.observable]).toEqual([verdict.disposition, obs]);
          expect(verdict.disposition).not.toBe(5);
        },
      ),
      { seed: SEED + 3, numRuns: runs(400) },
    );
    // The property held for verdicts that were really given, not only for their absence.
    expect(given).toBeGreaterThan(10);
  });

  it("normalises Qualys's own time form (fast path) exactly as the general path does", () => {
    // `+00:00` is not the canonical `+0000`, so it always takes the general path.
    fc.assert(
      fc.property(qualysTime, (time) => {
        const canonical = time.replace(/(\+00:00|[+-]\d\d(:?\d\d)?|Z)$/i, '+0000');
        expect(normaliseQualysTime(canonical)).toBe(
          normaliseQualysTime(canonical.replace(/\+0000$/, '+00:00')),
        );
      }),
      { seed: SEED + 2, numRuns: runs(2000) },
    );
  });

  // Shapes the fuzzer found worth pinning, kept as plain regression tests.
  describe('regressions', () => {
    const obs: SupportedObservable = { type: 'sha256', value: 'abc' };
    const mapOne = (event: unknown) =>
      mapper.map(obs, [JSON.parse(JSON.stringify(event))], [], 100, NOW);

    it('maps an event whose every block is of the wrong type', () => {
      const entities = mapOne({
        id: 42,
        dateTime: 1715677964000,
        score: [8],
        asset: 'FIN-LT-0042',
        file: ['x'],
        process: 7,
        network: true,
        handle: null,
        indicator2: { verdict: 'MALICIOUS' },
      });
      expect(invalidEntities(entities)).toEqual([]);
      expect(
        entities.sightings.map((s) => [s.external_ids, s.observed_time, s.targets, s.relations]),
      ).toEqual([
        [
          ['42'],
          { start_time: NOW.toISOString(), end_time: NOW.toISOString() },
          [
            {
              type: 'endpoint',
              observables: [],
              observed_time: { start_time: NOW.toISOString(), end_time: NOW.toISOString() },
            },
          ],
          [],
        ],
      ]);
      expect(entities.judgements).toEqual([]);
      // A present but unknown score still gives an indicator, without title (indicator.mapper.ts).
      expect(entities.indicators.map((i) => [i.severity, 'title' in i])).toEqual([
        ['Unknown', false],
      ]);
    });

    it('cuts a 5000+ character description without splitting a surrogate pair', () => {
      const value = `x${'😀'.repeat(2600)}`;
      const entities = mapper.map(
        { type: 'file_name', value },
        [{ id: 'e1', score: '8' }],
        [],
        100,
        NOW,
      );
      expect(invalidEntities(entities)).toEqual([]);
      const description = entities.sightings[0].description;
      expect(description.length).toBeLessThanOrEqual(5000);
      expect(description.charCodeAt(description.length - 1)).not.toBe(0xd83d);
    });

    // Found by the fuzzer (seed 20240514): uuid's v5 string path threw URIError
    // on a lone surrogate, which JSON may carry ("\ud83d"), so the observable failed.
    it('gives an event id with a lone surrogate a deterministic indicator id', () => {
      const entities = mapOne({ id: 'a\ud83d', score: '0' });
      expect(invalidEntities(entities)).toEqual([]);
      // python3 -c "import uuid;print(uuid.uuid5(uuid.NAMESPACE_X500,'a\ufffd'))"
      expect(entities.indicators.map((i) => i.id)).toEqual([
        'transient:indicator-b650cf3a-5a58-5d4c-bee7-dd5154bc6c01',
      ]);
    });

    it('hashes non-ASCII event ids as UTF-8, as the Python relay did', () => {
      // python3 -c "import uuid;print(uuid.uuid5(uuid.NAMESPACE_X500,'événement-😀'))"
      expect(mapOne({ id: 'événement-😀', score: '8' }).indicators.map((i) => i.id)).toEqual([
        'transient:indicator-3bd0198f-85bc-5d58-9d01-df08f5296c30',
      ]);
    });

    // Found by the fuzzer (seed 20240515): one event matching two observables of a
    // request (the MD5 and the SHA-256 of one file) put its indicator id in the body twice.
    it('keeps an indicator once when two observables of a request find the same event', () => {
      const event = { id: 'shared-event', score: '8', indicator2: [{ verdict: 'MALICIOUS' }] };
      const results = (['md5', 'sha256'] as const).map((type) =>
        mapper.map({ type, value: 'v' }, [event], [event], 100, NOW),
      );
      const body = buildObserveResponse(results, []);
      expect(validateObserveResponse(body)).toEqual([]);
      expect(body.data?.indicators?.count).toBe(1);
      expect(body.data?.sightings?.count).toBe(4);
    });

    it('survives an event nested 2000 levels deep in an unknown field', () => {
      let deep: unknown = 'bottom';
      for (let i = 0; i < 2000; i++) deep = [deep];
      expect(
        invalidEntities(
          mapOne({ id: 'e2', score: '5', extra: deep, indicator2: [{ verdict: 'KNOWN', deep }] }),
        ),
      ).toEqual([]);
    });
  });
});
