/**
 * Mapping cost (issue #6 part 3): Qualys events mapped to CTIM per second by
 * the Ctim mappers alone — `ObservationMapper` from dist/, constructed by
 * hand, no Nest — on the simulator's data set, and heap bytes per event.
 *
 * Run by bench.ts as two child processes, one per measure, so that each has
 * the V8 settings it needs and no more:
 *   node --expose-gc build/bench/mapping-bench.js --measure rate [--seconds 3]
 *   node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 \
 *        build/bench/mapping-bench.js --measure allocation
 * Each prints one JSON line.
 *
 * Method, honestly stated:
 * - Rate (default V8 heap settings, as production runs): the whole data set
 *   (both states) is mapped for one observable, with an entity limit above
 *   its size so every event is mapped in full, for `--seconds` after a
 *   warm-up, in 250 ms slices alternating with slices of JSON round trips of
 *   the same events; events / time spent mapping, one thread, GC included.
 *   The JSON rate gives a machine-independent figure: mapping's cost in
 *   JSON round trips.
 * - Allocated bytes per event: V8's `used_heap_size` grows by everything
 *   allocated (kept or garbage) as long as no collection runs. With a 64 MiB
 *   young generation, twice the data set is mapped between two readings after
 *   a full GC; a PerformanceObserver counts GCs, and windows during which one
 *   ran are discarded. The median over the clean windows is reported.
 *   Off-heap memory (none expected here) is not counted.
 * - Retained bytes per event: heap growth across a full GC with the mapped
 *   entities still referenced: the size of the output itself.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';
import type { SupportedObservable } from '../src/common/observable.js';
import { IndicatorMapper } from '../src/ctim/indicator.mapper.js';
import { JudgementMapper } from '../src/ctim/judgement.mapper.js';
import { ObservationMapper } from '../src/ctim/observation.mapper.js';
import { RelationshipMapper } from '../src/ctim/relationship.mapper.js';
import { SightingMapper } from '../src/ctim/sighting.mapper.js';
import type { ObservationEntities } from '../src/ctim/ctim.types.js';
import { SIMULATOR_EVENTS } from '../tools/simulator/dataset.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string' }, measure: { type: 'string' } },
});
const seconds = Number(values.seconds ?? '3');
const measure = values.measure ?? 'rate';
if (measure !== 'rate' && measure !== 'allocation')
  throw new Error('--measure must be rate or allocation');

const mapper = new ObservationMapper(
  new SightingMapper(),
  new IndicatorMapper(),
  new JudgementMapper(),
  new RelationshipMapper(),
);
// Structured copies: production maps fresh JSON.parse output, not frozen shared objects.
const parse = (active: boolean): unknown[] =>
  JSON.parse(
    JSON.stringify(SIMULATOR_EVENTS.filter((e) => e.active === active).map((e) => e.event)),
  ) as unknown[];
const active = parse(true);
const historical = parse(false);
const eventsPerCall = active.length + historical.length;
const observable: SupportedObservable = {
  type: 'sha256',
  value: '52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786',
};
const limit = eventsPerCall; // above the data set size: nothing is cut
const now = new Date('2024-06-01T00:00:00.000Z');

/** Keeps results observable, so the JIT cannot drop the work. */
let sink = 0;
const count = (e: ObservationEntities): number =>
  e.sightings.length + e.indicators.length + e.judgements.length + e.relationships.length;

/**
 * Events mapped per second, one thread, default V8 heap settings. Slices of
 * mapping alternate with slices of a JSON round trip of the same events (what
 * any relay does to them at least once), so that the ratio of the two holds
 * even when other work on the machine slows both.
 */
function measureRate() {
  const map = () => {
    sink += count(mapper.map(observable, active, historical, limit, now));
  };
  const roundTrip = () => {
    sink += (JSON.parse(JSON.stringify([active, historical])) as unknown[]).length;
  };
  const slice = (work: () => void, ms: number): { events: number; ms: number } => {
    const started = performance.now();
    let events = 0;
    while (performance.now() - started < ms) {
      work();
      events += eventsPerCall;
    }
    return { events, ms: performance.now() - started };
  };
  slice(map, 500); // warm-up: let the JIT settle
  slice(roundTrip, 200);
  const totals = { map: { events: 0, ms: 0 }, json: { events: 0, ms: 0 } };
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    for (const [kind, work] of [
      ['map', map],
      ['json', roundTrip],
    ] as const) {
      const done = slice(work, 250);
      totals[kind].events += done.events;
      totals[kind].ms += done.ms;
    }
  }
  const perSecond = (t: { events: number; ms: number }) => (t.events / t.ms) * 1000;
  return {
    seconds: totals.map.ms / 1000,
    eventsPerSecond: Math.round(perSecond(totals.map)),
    jsonRoundTripEventsPerSecond: Math.round(perSecond(totals.json)),
    /** Mapping an event costs this many JSON round trips of it. */
    costInJsonRoundTrips: Number((perSecond(totals.json) / perSecond(totals.map)).toFixed(2)),
  };
}

/** Heap bytes allocated and retained per event (needs --expose-gc and a large young generation). */
async function measureAllocation() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  let gcCount = 0;
  const observer = new PerformanceObserver((list) => {
    gcCount += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  // GC entries arrive asynchronously: give them time before reading the count.
  const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

  const BATCH_CALLS = 2; // 2 × the data set per measured window: well inside 64 MiB
  const perEvent: number[] = [];
  let discarded = 0;
  for (let i = 0; i < 25; i++) {
    gc();
    await flush();
    const gcsBefore = gcCount;
    const before = getHeapStatistics().used_heap_size;
    for (let c = 0; c < BATCH_CALLS; c++)
      sink += count(mapper.map(observable, active, historical, limit, now));
    const after = getHeapStatistics().used_heap_size;
    await flush();
    if (gcCount === gcsBefore) perEvent.push((after - before) / (BATCH_CALLS * eventsPerCall));
    else discarded++;
  }
  observer.disconnect();

  gc();
  const retainedBefore = getHeapStatistics().used_heap_size;
  const kept = mapper.map(observable, active, historical, limit, now);
  gc();
  const retainedPerEvent = (getHeapStatistics().used_heap_size - retainedBefore) / eventsPerCall;
  sink += count(kept);

  return {
    allocatedBytesPerEvent: perEvent.length > 0 ? Math.round(median(perEvent)) : null,
    allocationWindows: { clean: perEvent.length, discarded },
    retainedBytesPerEvent: Math.round(retainedPerEvent),
    entitiesPerCall: count(kept),
  };
}

const figures = measure === 'rate' ? measureRate() : await measureAllocation();
process.stdout.write(
  `${JSON.stringify({ measure, events: eventsPerCall, ...figures, sink: sink > 0 })}\n`,
);
