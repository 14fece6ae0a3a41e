/**
 * Two figures of the "hostile load" part of `npm run bench` (spec §15):
 *
 * - `measureCacheHeap`: the heap the in-process result cache holds per
 *   100k distinct empty answers (the worst case: almost all overhead), next
 *   to what it counts, and what it holds when 120k such answers go into a
 *   4 MiB cache (`QUALYS_CACHE_MAX_MB=4`; goal ≤ 4 MiB). Measured on the
 *   cache class of the built relay with gc before and after, in this
 *   process: a relay process would add its own noise to a figure this small.
 * - `measureFairShare`: another subscription's latency for 10 observables
 *   while a slow subscription (6 s per call, advertising
 *   `X-ConcurrencyLimit-Limit: 1000`) is loaded with 1000 observables, as a
 *   ratio to the same request unloaded (goal ≤ 2). Against `node
 *   dist/main.js` with the image's heap cap and default limits, and a
 *   simulator answering the quick subscription in 100 ms.
 *
 * Runnable alone after `npm run build && npm run build:tools`:
 *   node build/bench/parts/hostile-cache-fairness.js
 */
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LRUCache } from 'lru-cache';
import { mintRelayToken } from '../../src/cli/relay-token.js';
import type { CachedSearch } from '../../src/qualys/limits/limit-stores.js';
import { entryHeapBytes, MemoryResults } from '../../src/qualys/limits/memory-results.js';
import { TEN_OBSERVABLES_WITH_EVENTS } from '../../tools/simulator/dataset.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
} from '../../tools/simulator/qualys-simulator.js';
import { postJson } from '../../tools/lib/http-client.js';
import { ProcessGroup, startRelay } from '../lib/processes.js';
import type { PartResult, Row } from '../lib/report.js';
import { median, mib, round } from '../lib/stats.js';

const MIB = 1024 * 1024;
const IMAGE_NODE_OPTIONS = '--max-old-space-size=160';

export const HOSTILE_TARGETS = {
  /** A cache of QUALYS_CACHE_MAX_MB holds at most that much heap. */
  boundedCacheMiB: 4,
  fairShareRatio: 2,
} as const;

// --- the cache's heap -----------------------------------------------------------------

export interface CacheHeapFigures {
  /** Heap held by 100k distinct empty answers in an unbounded cache, MiB. */
  heldPer100kMiB: number;
  /** What the cache counts for them against QUALYS_CACHE_MAX_MB, MiB. */
  countedPer100kMiB: number;
  /** Heap held after 120k distinct empty answers went into a 4 MiB cache, MiB. */
  heldIn4MiBCacheMiB: number;
  /** One sweep (purgeStale) of 100k expired entries, ms. */
  sweep100kMs: number;
}

/** A full collection without `--expose-gc` on the command line. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

function heapAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** Ids as the relay makes them (43-character base64url HMACs), a fresh '[]' per answer as read from a socket. */
async function fillCache(results: MemoryResults, count: number, ttlMs: number): Promise<void> {
  const id = (text: string): string => createHmac('sha256', 'k').update(text).digest('base64url');
  const credentialsId = id('credentials');
  for (let i = 0; i < count; i++) {
    const eventsJson = Buffer.from('[]').toString('utf8');
    await results.set(
      credentialsId,
      id(String(i)),
      { pageSize: 100, eventsJson, fetchedAt: Date.now() },
      ttlMs,
    );
  }
}

export async function measureCacheHeap(): Promise<CacheHeapFigures> {
  const count = 100_000;
  const unbounded = new MemoryResults(1024 * MIB, 60_000);
  let before = heapAfterGc();
  await fillCache(unbounded, count, 60_000);
  const heldPer100k = heapAfterGc() - before;
  unbounded.close();

  const sample = `${'x'.repeat(43)} ${'y'.repeat(43)}`;
  const counted = count * entryHeapBytes(sample, { pageSize: 100, eventsJson: '[]', fetchedAt: 0 });

  const bounded = new MemoryResults(HOSTILE_TARGETS.boundedCacheMiB * MIB, 60_000);
  before = heapAfterGc();
  await fillCache(bounded, 120_000, 60_000);
  const heldBounded = heapAfterGc() - before;
  bounded.close();

  // The periodic sweep is one purgeStale() of the same LRU: timed here on 100k entries that all expired.
  const expiring = new LRUCache<string, CachedSearch>({
    maxSize: 1024 * MIB,
    sizeCalculation: (value, key) => entryHeapBytes(key, value),
  });
  for (let i = 0; i < count; i++) {
    expiring.set(
      `${sample}${String(i)}`,
      { pageSize: 100, eventsJson: '[]', fetchedAt: 0 },
      { ttl: 1 },
    );
  }
  await sleep(20);
  const started = performance.now();
  expiring.purgeStale();
  const sweepMs = performance.now() - started;

  return {
    heldPer100kMiB: mib(heldPer100k),
    countedPer100kMiB: mib(counted),
    heldIn4MiBCacheMiB: mib(heldBounded),
    sweep100kMs: round(sweepMs, 1),
  };
}

// --- fair share -------------------------------------------------------------------------

export interface FairShareFigures {
  /** The quick subscription's 10 observables, nothing else running, median ms. */
  unloadedMs: number;
  /** The same while the slow subscription is loaded, median ms. */
  loadedMs: number;
  ratio: number;
  /** Most calls of the slow subscription Qualys saw at once (its clamped limit). */
  slowPeakCalls: number;
  runs: number;
}

const SLOW_USER = 'bench-slow-tenant';
const SLOW_PASSWORD = 'bench-slow-tenant-password';

export async function measureFairShare(
  options: { runs?: number; progress?: (text: string) => void } = {},
): Promise<FairShareFigures> {
  const runs = options.runs ?? 9;
  const progress = options.progress ?? (() => undefined);
  const jwtSecret = randomBytes(32).toString('hex');
  const simulator = await startQualysSimulator({
    latencyMs: 100,
    credentials: { [SIMULATOR_USER]: SIMULATOR_PASSWORD, [SLOW_USER]: SLOW_PASSWORD },
    concurrencyLimit: 1000,
  });
  const group = new ProcessGroup();
  try {
    const relay = await startRelay(group, {
      simulatorUrl: simulator.url,
      jwtSecret,
      name: 'relay (fair share)',
      env: {
        NODE_OPTIONS: IMAGE_NODE_OPTIONS,
        QUALYS_CACHE_TTL_SEC: '0', // every run really calls Qualys
      },
    });
    const token = (user: string, pass: string) =>
      mintRelayToken(jwtSecret, { user, pass, API_URL: simulator.url });
    const [quick, slow] = await Promise.all([
      token(SIMULATOR_USER, SIMULATOR_PASSWORD),
      token(SLOW_USER, SLOW_PASSWORD),
    ]);
    const fresh = (tag: string, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        type: 'sha256',
        value: `${tag}${String(i)}`.padEnd(64, '0'),
      }));
    const observe = async (which: string, observables: readonly unknown[], timeoutMs = 60_000) => {
      const answer = await postJson(relay.url, '/observe/observables', observables, {
        token: which,
        timeoutMs,
      });
      if (answer.status !== 200) throw new Error(`observe answered ${answer.status}`);
      return answer.ms;
    };
    const timeQuick = async (): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await observe(quick, TEN_OBSERVABLES_WITH_EVENTS));
      return times;
    };

    // Both subscriptions learn the advertised limit (clamped) and the relay warms up.
    await observe(slow, fresh('warm', 20));
    await timeQuick();
    const unloaded = median(await timeQuick());
    progress(`fair share: unloaded ${unloaded.toFixed(0)} ms`);

    simulator.setUserLatency(SLOW_USER, 6000);
    simulator.resetStats();
    const loading = observe(slow, fresh('load', 1000)).catch(() => undefined);
    await sleep(500); // the slow subscription takes every slot it may
    const loaded = median(await timeQuick());
    const slowPeakCalls = simulator.stats.peakRunningSearches.byUser[SLOW_USER] ?? 0;
    progress(`fair share: loaded ${loaded.toFixed(0)} ms, slow subscription held ${slowPeakCalls}`);
    await group.stopAll(); // the slow request need not wait out its deadline
    await loading;
    return {
      unloadedMs: round(unloaded, 1),
      loadedMs: round(loaded, 1),
      ratio: round(loaded / unloaded),
      slowPeakCalls,
      runs,
    };
  } finally {
    await group.stopAll();
    await simulator.close();
  }
}

/** The figures as lines of the bench's table. */
export function hostileCacheFairnessRows(cache: CacheHeapFigures, fair: FairShareFigures): Row[] {
  return [
    {
      part: '7',
      measure: 'result cache heap per 100k distinct empty answers',
      value: `${cache.heldPer100kMiB} MiB held, ${cache.countedPer100kMiB} MiB counted; sweep of 100k expired ${cache.sweep100kMs} ms`,
      target: 'held ≤ counted',
      pass: cache.heldPer100kMiB <= cache.countedPer100kMiB,
    },
    {
      part: '7',
      measure: '120k distinct empty answers, QUALYS_CACHE_MAX_MB=4',
      value: `${cache.heldIn4MiBCacheMiB} MiB held`,
      target: `≤ ${HOSTILE_TARGETS.boundedCacheMiB} MiB`,
      pass: cache.heldIn4MiBCacheMiB <= HOSTILE_TARGETS.boundedCacheMiB,
    },
    {
      part: '7',
      measure: `another subscription's 10 observables while a slow one (6 s/call, limit 1000) is loaded, median of ${fair.runs}`,
      value: `${fair.loadedMs} ms = ${fair.ratio} × unloaded ${fair.unloadedMs} ms (slow one held ${fair.slowPeakCalls} calls)`,
      target: `≤ ${HOSTILE_TARGETS.fairShareRatio} × unloaded`,
      pass: fair.ratio <= HOSTILE_TARGETS.fairShareRatio,
    },
  ];
}

/** Both figures, one after the other: the part 7 rows after the hostile loads'. */
export async function measureCacheAndFairShare(options: {
  progress(text: string): void;
}): Promise<PartResult> {
  const cache = await measureCacheHeap();
  const fair = await measureFairShare(options);
  return {
    rows: hostileCacheFairnessRows(cache, fair),
    report: { hostileCacheFairness: { cache, fair } },
    badAnswers: 0,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const progress = (text: string): void => void process.stderr.write(`${text}\n`);
  const cache = await measureCacheHeap();
  progress(`cache: ${JSON.stringify(cache)}`);
  const fair = await measureFairShare({ progress });
  process.stdout.write(
    `${JSON.stringify({ cache, fair, rows: hostileCacheFairnessRows(cache, fair) }, null, 2)}\n`,
  );
}
