import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { SupportedObservable } from '../../common/observable.js';
import type { QualysEvent } from '../qualys-event.js';
import {
  FakeBatchQualys,
  type FakeEvent,
  type FakeOrder,
  type FakeSemantics,
} from '../../../test/support/fake-batch-qualys.js';
import type { ObservableOutcome, StateOutcome } from './batch-search-port.js';
import { BatchedSearches } from './batched-searches.js';

/**
 * Spec §12's promise: whenever every search completes, a batched request
 * answers the same entities as separate searches. Here at the engine's
 * level: per observable, the events the mapping would use (its active ones,
 * then historical ones up to L) are the same with batching as with batch
 * size 1, against the same Qualys — one that matches exact fields strictly,
 * or leniently (case, address form, `indicator2`), listing events in one
 * order or in one per filter — since the relay must give the right answer
 * under each.
 */
const RUNS = 1000;

interface File {
  sha256: string;
  md5: string;
  name: string;
}

const hexString = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

/** Addresses with their written forms: IPv4 (also mapped into IPv6) and IPv6 (compressed or full, any case). */
const ADDRESSES: readonly (readonly string[])[] = [
  ['10.0.0.1', '::ffff:10.0.0.1', '::FFFF:a00:1'],
  ['203.0.113.66', '::ffff:203.0.113.66'],
  ['2001:db8::1', '2001:DB8:0:0:0:0:0:1', '2001:0db8::0001'],
  ['2001:db8::abcd', '2001:db8:0:0:0:0:0:ABCD'],
  ['192.0.2.254'],
];
const DOMAINS = ['c2.example.net', 'update.example.org', 'cdn.example.com'];

const investigation = fc
  .record({
    files: fc.array(fc.record({ sha256: hexString(64), md5: hexString(32) }), {
      minLength: 1,
      maxLength: 5,
    }),
    limit: fc.integer({ min: 1, max: 5 }),
    batchSize: fc.oneof(fc.constant(20), fc.integer({ min: 2, max: 50 })),
    semantics: fc.constantFrom<FakeSemantics>('strict', 'lenient'),
    order: fc.constantFrom<FakeOrder>('data', 'per-filter'),
    seedEvents: fc.array(
      fc.record({
        active: fc.boolean(),
        kind: fc.constantFrom('file', 'file', 'network', 'indicator-only', 'upper-case', 'mutex'),
        file: fc.nat(),
        address: fc.nat(),
        form: fc.nat(),
        other: fc.nat(),
        burst: fc.integer({ min: 1, max: 6 }),
      }),
      { maxLength: 14 },
    ),
    asks: fc.array(
      fc.record({
        type: fc.constantFrom('sha256', 'md5', 'ip', 'domain', 'file_name', 'mutex', 'bad-ip'),
        pick: fc.nat(),
        form: fc.nat(),
        upper: fc.boolean(),
      }),
      { minLength: 1, maxLength: 30 },
    ),
  })
  .map((generated) => {
    const files: File[] = generated.files.map((file, n) => ({ ...file, name: `payload${n}.exe` }));
    const events = buildEvents(generated.seedEvents, files);
    const observables = buildObservables(generated.asks, files);
    return { ...generated, files, events, observables };
  });

let eventId = 0;
function buildEvents(
  seeds: readonly {
    active: boolean;
    kind: string;
    file: number;
    address: number;
    form: number;
    other: number;
    burst: number;
  }[],
  files: readonly File[],
): FakeEvent[] {
  return seeds.flatMap((seed) => {
    const file = files[seed.file % files.length];
    const forms = ADDRESSES[seed.address % ADDRESSES.length];
    const address = forms[seed.form % forms.length];
    const otherForms = ADDRESSES[seed.other % ADDRESSES.length];
    const other = otherForms[seed.form % otherForms.length];
    // A burst of like events makes answers exactly full (or just under) for small L.
    return Array.from({ length: seed.burst }, (): FakeEvent => {
      const id = `ev${eventId++}`;
      let event: QualysEvent;
      switch (seed.kind) {
        case 'network':
          event = {
            id,
            type: 'NETWORK',
            network: {
              localIP: address,
              remoteIP: other,
              remoteDns: `www.${DOMAINS[seed.other % DOMAINS.length]}`,
            },
          };
          break;
        case 'indicator-only':
          event = { id, type: 'FILE', indicator2: [{ sha256: file.sha256, md5: file.md5 }] };
          break;
        case 'upper-case':
          event = {
            id,
            type: 'FILE',
            file: { sha256: file.sha256.toUpperCase(), md5: file.md5, fileName: file.name },
          };
          break;
        case 'mutex':
          event = {
            id,
            type: 'MUTEX',
            handle: { name: `Global\\m${seed.other % 3}` },
            file: { md5: file.md5 },
          };
          break;
        default:
          event = {
            id,
            type: 'FILE',
            file: {
              sha256: file.sha256,
              md5: file.md5,
              fileName: file.name,
              fullPath: `C:\\${address}`,
            },
            indicator2: [{ sha256: file.sha256 }],
          };
      }
      return { active: seed.active, event };
    });
  });
}

function buildObservables(
  asks: readonly { type: string; pick: number; form: number; upper: boolean }[],
  files: readonly File[],
): SupportedObservable[] {
  const seen = new Set<string>();
  const observables: SupportedObservable[] = [];
  for (const ask of asks) {
    // One unseen value in four: most observables of an investigation are not seen by Qualys.
    const unseen = ask.pick % 4 === 3;
    const file = files[ask.pick % files.length];
    const forms = ADDRESSES[ask.pick % ADDRESSES.length];
    let observable: SupportedObservable;
    switch (ask.type) {
      case 'sha256': {
        const value = unseen ? `f${ask.pick.toString(16).padStart(63, '0')}` : file.sha256;
        observable = { type: 'sha256', value: ask.upper ? value.toUpperCase() : value };
        break;
      }
      case 'md5': {
        const value = unseen ? `e${ask.pick.toString(16).padStart(31, '0')}` : file.md5;
        observable = { type: 'md5', value: ask.upper ? value.toUpperCase() : value };
        break;
      }
      case 'ip':
        observable = {
          type: 'ip',
          value: unseen ? `198.51.100.${ask.pick % 250}` : forms[ask.form % forms.length],
        };
        break;
      case 'domain':
        observable = {
          type: 'domain',
          value: unseen ? `n${ask.pick}.example` : DOMAINS[ask.pick % DOMAINS.length],
        };
        break;
      case 'file_name':
        observable = {
          type: 'file_name',
          value: unseen ? `x${ask.pick}.dll` : `payload${ask.pick % files.length}`,
        };
        break;
      case 'mutex':
        observable = { type: 'mutex', value: `m${ask.pick % 4}` };
        break;
      default:
        observable = { type: 'ip', value: `not-an-ip-${ask.pick % 3}` };
    }
    const key = `${observable.type}\0${observable.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    observables.push(observable);
  }
  return observables;
}

/** What the mapping would show of an observable (spec §5): active events, then historical ones up to L. */
function shown(
  outcome: ObservableOutcome,
  limit: number,
): { active: unknown[]; historical: unknown[] } {
  const events = (state: StateOutcome | undefined): QualysEvent[] => {
    if (state?.kind !== 'settled') throw new Error(`not settled: ${JSON.stringify(state)}`);
    return state.events;
  };
  const active = events(outcome.active).slice(0, limit);
  const historical = events(outcome.historical).slice(0, limit - active.length);
  const sorted = (list: QualysEvent[]) => list.map((event) => String(event.id)).sort();
  return { active: sorted(active), historical: sorted(historical) };
}

async function searchAll(
  observables: readonly SupportedObservable[],
  events: readonly FakeEvent[],
  options: { limit: number; batchSize: number; semantics: FakeSemantics; order: FakeOrder },
) {
  const fake = new FakeBatchQualys(events, options.semantics, options.order);
  const outcomes = await new BatchedSearches(
    observables.map((observable) => ({ observable })),
    { port: fake, limit: options.limit, batchSize: options.batchSize, maxInFlight: 4 },
  ).run();
  return {
    shown: outcomes.map((outcome) => shown(outcome, options.limit)),
    calls: fake.searches.length,
  };
}

describe('BatchedSearches property (spec §12): batched answers equal separate searches', () => {
  it(`holds over ${RUNS} generated investigations`, async () => {
    let batchedCalls = 0;
    let separateCalls = 0;
    await fc.assert(
      fc.asyncProperty(
        investigation,
        async ({ observables, events, limit, batchSize, semantics, order }) => {
          const options = { limit, batchSize, semantics, order };
          const batched = await searchAll(observables, events, options);
          const separate = await searchAll(observables, events, { ...options, batchSize: 1 });
          expect(batched.shown).toEqual(separate.shown);
          batchedCalls += batched.calls;
          separateCalls += separate.calls;
        },
      ),
      { numRuns: RUNS, seed: 22 },
    );
    // Not a goal of the property, but it must not cost more than separate searches overall.
    expect(batchedCalls).toBeLessThan(separateCalls);
  });
});
