/**
 * Part 3 of `npm run bench`: the mapping cost, ObservationMapper alone on the
 * simulator's events, in child processes of bench/mapping-bench.ts: the rate
 * (best of three runs, against JSON round trips of the same events) and the
 * heap allocated and retained per event.
 */
import { join } from 'node:path';
import { BENCH_DIST, type ProcessGroup } from '../lib/processes.js';
import type { PartResult } from '../lib/report.js';
import { median } from '../lib/stats.js';

/** Issue #6: events mapped per second, at least. */
export const MAPPING_TARGET_EVENTS_PER_SECOND = 50_000;

/** Runs mapping-bench.js in a child with `nodeFlags`; its JSON line. */
async function mappingChild(
  group: ProcessGroup,
  nodeFlags: string[],
  args: string[],
): Promise<unknown> {
  let line = '';
  const child = group.start(
    'mapping-bench',
    [...nodeFlags, join(BENCH_DIST, 'mapping-bench.js'), ...args],
    {},
    (text) => {
      if (text.startsWith('{')) line = text;
    },
  );
  const code = await new Promise<number | null>((resolve) => child.process.once('exit', resolve));
  if (code !== 0 || line === '')
    throw new Error(`mapping bench failed (${code}):\n${child.output()}`);
  return JSON.parse(line) as unknown;
}

export async function measureMapping(group: ProcessGroup, seconds: number): Promise<PartResult> {
  // Rate with V8's default heap settings (GC time counts, as in production),
  // three runs: the best is the one least disturbed by other work.
  const rates: { events: number; eventsPerSecond: number; costInJsonRoundTrips: number }[] = [];
  for (let run = 0; run < 3; run++) {
    rates.push(
      (await mappingChild(
        group,
        [],
        ['--measure', 'rate', '--seconds', String(seconds)],
      )) as (typeof rates)[number],
    );
  }
  const rate = rates.reduce((best, r) => (r.eventsPerSecond > best.eventsPerSecond ? r : best));
  const costInJson = median(rates.map((r) => r.costInJsonRoundTrips));
  // Allocation with a young generation big enough that no GC hides any of it.
  const allocation = (await mappingChild(
    group,
    ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'],
    ['--measure', 'allocation'],
  )) as {
    allocatedBytesPerEvent: number | null;
    retainedBytesPerEvent: number;
    entitiesPerCall: number;
  };
  const rows = [
    {
      part: '3',
      measure: `mapping, ObservationMapper alone, ${rate.events} simulator events`,
      value: `${rate.eventsPerSecond.toLocaleString('en-US')} events/s (best of ${rates.map((r) => r.eventsPerSecond).join(', ')}); ${costInJson} × a JSON round trip`,
      target: `≥ ${MAPPING_TARGET_EVENTS_PER_SECOND.toLocaleString('en-US')}`,
      pass: rate.eventsPerSecond >= MAPPING_TARGET_EVENTS_PER_SECOND,
    },
    {
      part: '3',
      measure: 'heap per event: allocated (no-GC window) / retained output',
      value: `${allocation.allocatedBytesPerEvent ?? '?'} B / ${allocation.retainedBytesPerEvent} B`,
      target: '',
      pass: null,
    },
  ];
  const mapping = {
    method:
      'one thread; rate: whole data set per call, limit above its size, default V8 heap settings, GC included, best of 3 runs, alternating with JSON round trips of the same events (cost ratio = median); allocation: used_heap_size growth over windows with no GC (64 MiB young generation, GCs counted by a PerformanceObserver); retained: growth across a full GC with the output kept',
    events: rate.events,
    eventsPerSecond: rate.eventsPerSecond,
    runs: rates,
    costInJsonRoundTrips: costInJson,
    ...allocation,
    target: MAPPING_TARGET_EVENTS_PER_SECOND,
    pass: rate.eventsPerSecond >= MAPPING_TARGET_EVENTS_PER_SECOND,
  };
  return { rows, report: { mapping }, badAnswers: 0 };
}
