import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { QualysEvent } from '../../src/qualys/qualys-event.js';
import type { SimulatorEvent } from '../../tools/simulator/dataset.js';
import type { ObservableItem } from './batch-comparison.js';

/**
 * Generated Qualys data sets and investigations for spec §12's equality
 * property: batched searches answer what separate searches answer. The
 * values come from small pools, so that events often match several
 * observables of one investigation, carry an observable's value in another
 * field or form (upper-case hashes, IPv6 written two ways, `::ffff:` IPv4),
 * and pages fill exactly (counts around the entity limit L).
 */

const hex = (algorithm: 'sha256' | 'md5', text: string) =>
  createHash(algorithm).update(text).digest('hex');

export const FILES = Array.from({ length: 6 }, (_, i) => ({
  sha256: hex('sha256', `batch-world-file-${i}`),
  md5: hex('md5', `batch-world-file-${i}`),
  name: `tool_${i}.exe`,
  path: `C:\\Tools\\tool_${i}.exe`,
}));

/** Each address in every form it may be written in; the first form is the canonical one. */
export const ADDRESSES: readonly (readonly string[])[] = [
  ['10.20.0.5', '::ffff:10.20.0.5'],
  ['10.20.1.6', '::ffff:10.20.1.6'],
  ['192.0.2.7', '::ffff:192.0.2.7'],
  ['2001:db8::3', '2001:0db8:0000:0000:0000:0000:0000:0003', '2001:DB8::3'],
  ['2001:db8::4', '2001:db8:0:0:0:0:0:4', '2001:DB8::4'],
  ['2001:db8::a:5', '2001:db8:0:0:0:0:a:5'],
];

export const DOMAINS = Array.from({ length: 4 }, (_, i) => `c2-${i}.example.net`);
export const MUTEXES = Array.from({ length: 3 }, (_, i) => `Global\\mx_${i}`);

/** Observables in no event, or not parsing as their type (spec §12: searched alone). */
const STRAYS: readonly ObservableItem[] = [
  { type: 'sha256', value: '0'.repeat(63) + '1' },
  { type: 'md5', value: 'f'.repeat(31) + 'e' },
  { type: 'ip', value: '198.51.100.250' },
  { type: 'ip', value: 'not-an-address' },
  { type: 'sha256', value: 'abc123' },
  { type: 'domain', value: 'nothing-here.example.org' },
];

/** Every observable an investigation may hold. */
export const CANDIDATES: readonly ObservableItem[] = [
  ...FILES.flatMap((file) => [
    { type: 'sha256', value: file.sha256 },
    { type: 'sha256', value: file.sha256.toUpperCase() },
    { type: 'md5', value: file.md5 },
    { type: 'md5', value: file.md5.toUpperCase() },
    { type: 'file_name', value: file.name },
    { type: 'file_path', value: file.path },
  ]),
  ...ADDRESSES.flatMap((forms) => forms.map((value) => ({ type: 'ip', value }))),
  ...DOMAINS.map((value) => ({ type: 'domain', value })),
  ...MUTEXES.map((value) => ({ type: 'mutex', value })),
  ...STRAYS,
];

export interface World {
  /** The entity limit L of the request (token claim `CTR_ENTITIES_LIMIT`). */
  limit: number;
  events: SimulatorEvent[];
  investigation: ObservableItem[];
  /** Simulator matching: contains fields as contains, hashes loosely (spec §12 fallbacks). */
  containsMatch: boolean;
  looseHashes: boolean;
}

type AddressRef = { address: number; form: number };

/** One kind of event, repeated `active` + `historical` times. */
interface Bundle {
  active: number;
  historical: number;
  file?: { index: number; upperSha256: boolean; upperMd5: boolean };
  network?: { local?: AddressRef; remote?: AddressRef; domain?: number };
  mutex?: number;
  /** Another observable's value, carried where the relay does not attribute by. */
  carries?: { value: string; where: 'arguments' | 'verdict' | 'interface' };
  verdict: string;
}

const VERDICTS = ['MALICIOUS', 'SUSPICIOUS', 'KNOWN', 'REMEDIATED', 'UNKNOWN'];

const addressRef: fc.Arbitrary<AddressRef> = fc
  .nat({ max: ADDRESSES.length - 1 })
  .chain((address) =>
    fc.record({
      address: fc.constant(address),
      form: fc.nat({ max: ADDRESSES[address].length - 1 }),
    }),
  );

/** Event counts around L: none, a few, exactly L, just past it, well past it. */
const countAround = (limit: number) =>
  fc.constantFrom(0, 0, 1, Math.max(1, limit - 1), limit, limit, limit + 1, 2 * limit);

const carried = fc.record({
  value: fc.oneof(
    fc.constantFrom(...FILES.map((file) => file.sha256)),
    fc.constantFrom(...FILES.map((file) => file.md5.toUpperCase())),
    addressRef.map(({ address, form }) => ADDRESSES[address][form]),
  ),
  where: fc.constantFrom<'arguments' | 'verdict' | 'interface'>(
    'arguments',
    'verdict',
    'interface',
  ),
});

const bundle = (limit: number): fc.Arbitrary<Bundle> =>
  fc.record(
    {
      active: countAround(limit),
      historical: countAround(limit),
      file: fc.option(
        fc.record({
          index: fc.nat({ max: FILES.length - 1 }),
          upperSha256: fc.boolean(),
          upperMd5: fc.boolean(),
        }),
        { nil: undefined, freq: 2 },
      ),
      network: fc.option(
        fc.record(
          {
            local: addressRef,
            remote: addressRef,
            domain: fc.nat({ max: DOMAINS.length - 1 }),
          },
          { requiredKeys: [] },
        ),
        { nil: undefined, freq: 2 },
      ),
      mutex: fc.option(fc.nat({ max: MUTEXES.length - 1 }), { nil: undefined, freq: 3 }),
      carries: fc.option(carried, { nil: undefined, freq: 3 }),
      verdict: fc.constantFrom(...VERDICTS),
    },
    { requiredKeys: ['active', 'historical', 'verdict'] },
  );

/** Qualys's timestamp format (spec §5: `+0000`, not `Z`). */
function qualysTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+0000');
}

function eventOf(n: number, active: boolean, spec: Bundle): QualysEvent {
  const event: QualysEvent = {
    id: `ba7c4e00-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    dateTime: qualysTime(Date.UTC(2024, active ? 5 : 2, 1) + n * 60_000),
    type: spec.network ? 'NETWORK' : spec.mutex !== undefined ? 'MUTEX' : 'FILE',
    action: 'Created',
    score: String(n % 11),
    asset: {
      netBiosName: `HOST-${n % 3}`,
      fullOSName: 'Ubuntu 22.04.4 LTS',
      interfaces: [
        {
          ipAddress:
            spec.carries?.where === 'interface' ? spec.carries.value : `10.99.0.${1 + (n % 3)}`,
          macAddress: `52:54:00:00:00:0${n % 3}`,
        },
      ],
    },
    process: {
      processName: 'agent.exe',
      pid: 1000 + n,
      ...(spec.carries?.where === 'arguments' ? { arguments: `--peer ${spec.carries.value}` } : {}),
    },
    indicator2: [
      {
        verdict: spec.verdict,
        threatName: `Threat ${n % 4}`,
        score: n % 11,
        ...(spec.carries?.where === 'verdict' ? { sha256: spec.carries.value } : {}),
      },
    ],
  };
  if (spec.file) {
    const file = FILES[spec.file.index];
    event.file = {
      fileName: file.name,
      fullPath: file.path,
      sha256: spec.file.upperSha256 ? file.sha256.toUpperCase() : file.sha256,
      md5: spec.file.upperMd5 ? file.md5.toUpperCase() : file.md5,
    };
  }
  if (spec.network) {
    const { local, remote, domain } = spec.network;
    event.network = {
      ...(local ? { localIP: ADDRESSES[local.address][local.form] } : {}),
      ...(remote ? { remoteIP: ADDRESSES[remote.address][remote.form] } : {}),
      ...(domain === undefined ? {} : { remoteDns: DOMAINS[domain] }),
      remotePort: 443,
    };
  }
  if (spec.mutex !== undefined) event.handle = { name: MUTEXES[spec.mutex], type: 'Mutant' };
  return event;
}

/**
 * The events of some bundles, numbered in data-set order: interleaved
 * (round by round, each bundle's next event) or bundle after bundle — then a
 * full page of a batch holds all of one observable's events and few or none
 * of another's (spec §12 "What is left").
 */
function eventsOf(
  bundles: readonly Bundle[],
  order: 'interleaved' | 'sequential',
): SimulatorEvent[] {
  const events: SimulatorEvent[] = [];
  let n = 0;
  const push = (spec: Bundle, active: boolean) => {
    n++;
    events.push({ active, event: eventOf(n, active, spec) });
  };
  if (order === 'sequential') {
    for (const spec of bundles) {
      for (let i = 0; i < spec.active; i++) push(spec, true);
      for (let i = 0; i < spec.historical; i++) push(spec, false);
    }
    return events;
  }
  const longest = Math.max(0, ...bundles.map((b) => Math.max(b.active, b.historical)));
  for (let round = 0; round < longest; round++) {
    for (const spec of bundles) {
      if (round < spec.active) push(spec, true);
      if (round < spec.historical) push(spec, false);
    }
  }
  return events;
}

const order = fc.constantFrom<'interleaved' | 'sequential'>('interleaved', 'sequential');

/** Mixed investigations over mixed data sets. */
const mixedWorld: fc.Arbitrary<World> = fc.integer({ min: 1, max: 4 }).chain((limit) =>
  fc.record({
    limit: fc.constant(limit),
    events: fc
      .tuple(fc.array(bundle(limit), { minLength: 0, maxLength: 10 }), order)
      .map(([bundles, inOrder]) => eventsOf(bundles, inOrder)),
    investigation: fc.shuffledSubarray([...CANDIDATES], { minLength: 1, maxLength: 24 }),
    containsMatch: fc.boolean(),
    looseHashes: fc.boolean(),
  }),
);

/**
 * Only hashes with events, counts in multiples of L: their batches are often
 * answered full — exactly full when every count is L (spec §12 "What is
 * left"), past full when some are larger, and in data-set order one hash's
 * events may fill the whole page — with md5 and sha256 of one file side by
 * side when both are asked for.
 */
const fullWorld: fc.Arbitrary<World> = fc.integer({ min: 1, max: 3 }).chain((limit) => {
  const count = fc.constantFrom(0, 1, limit, limit, limit, 2 * limit, 3 * limit);
  return fc
    .record({
      files: fc.uniqueArray(
        fc.record({ index: fc.nat({ max: FILES.length - 1 }), active: count, historical: count }),
        { minLength: 2, maxLength: 6, selector: (file) => file.index },
      ),
      withMd5: fc.boolean(),
      inOrder: order,
    })
    .map(({ files, withMd5, inOrder }) => ({
      limit,
      events: eventsOf(
        files.map(({ index, active, historical }) => ({
          active,
          historical,
          file: { index, upperSha256: false, upperMd5: false },
          verdict: 'MALICIOUS',
        })),
        inOrder,
      ),
      investigation: files.flatMap(({ index }) => [
        { type: 'sha256', value: FILES[index].sha256 },
        ...(withMd5 ? [{ type: 'md5', value: FILES[index].md5 }] : []),
      ]),
      containsMatch: false,
      looseHashes: false,
    }));
});

export const worldArbitrary: fc.Arbitrary<World> = fc.oneof(
  { arbitrary: mixedWorld, weight: 3 },
  { arbitrary: fullWorld, weight: 1 },
);
