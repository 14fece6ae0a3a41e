/**
 * Part 1 of `npm run bench`: `/observe` latency for 1, 10 and 50 observables
 * against the floor the design allows, `ceil(2·n / call cap) · L`, with the
 * same requests from a bare node:http server beside it for context, and the
 * --compare-dist relay right after this one when there is one.
 */
import { Agent } from 'node:http';
import { postJson } from '../../tools/lib/http-client.js';
import { type RelayProcess } from '../lib/processes.js';
import { isCleanData, observables } from '../lib/observables.js';
import { progress, type PartResult, type Row } from '../lib/report.js';
import { median, percentile, round } from '../lib/stats.js';

/** Issue #6: at most this times the floor. */
export const LATENCY_TARGET_RATIO = 1.3;
/** A warm-up never takes longer than this per size and server. */
const WARMUP_MAX_MS = 8_000;

export interface LatencyOptions {
  relay: RelayProcess;
  compare: RelayProcess | undefined;
  /** Another build's dist/ that `compare` runs; '' for none. */
  compareDist: string;
  baselineUrl: string;
  token: string;
  /** The simulator's latency, ms (L). */
  latencyMs: number;
  runs: number;
  warmupRequests: number;
  /** QUALYS_CONCURRENCY = QUALYS_SUBSCRIPTION_CONCURRENCY of the relay. */
  concurrency: number;
}

interface Timing {
  times: number[];
  badAnswers: number;
}

/** Wall times of `runs` sequential requests on one keep-alive connection, after a warm-up. */
async function timeRequests(
  url: string,
  token: string,
  body: unknown,
  options: LatencyOptions,
  check: boolean,
): Promise<Timing> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // Warm: the token is cached after the first request; the JIT needs ~75
    // requests of a kind to settle (measured: the median falls ~15% until then).
    const warmUntil = performance.now() + WARMUP_MAX_MS;
    for (let i = 0; i < options.warmupRequests && performance.now() < warmUntil; i++)
      await postJson(url, '/observe/observables', body, { token, agent });
    const timing: Timing = { times: [], badAnswers: 0 };
    for (let i = 0; i < options.runs; i++) {
      const response = await postJson(url, '/observe/observables', body, { token, agent });
      if (check && !isCleanData(response.status, response.text)) {
        timing.badAnswers++;
        progress(`unexpected /observe answer (${response.status}): ${response.text.slice(0, 300)}`);
      }
      timing.times.push(response.ms);
    }
    return timing;
  } finally {
    agent.destroy();
  }
}

export async function measureLatency(options: LatencyOptions): Promise<PartResult> {
  const { relay, compare, token, runs } = options;
  // Since the per-subscription scheduler (issue #9) a request has no cap of its
  // own: its searches wait only for the subscription's slots and the process
  // cap, both --concurrency here. (Before it, a request was capped at
  // ceil(QUALYS_CONCURRENCY / 2), which made 50 observables 4 waves, not 2.)
  const callCap = options.concurrency;
  const rows: Row[] = [];
  let badAnswers = 0;
  const results = [];
  for (const n of [1, 10, 50]) {
    const body = observables(n);
    const own = await timeRequests(relay.url, token, body, options, true);
    // Same requests, right after, against the other build: same work, same machine state.
    const other =
      compare === undefined
        ? undefined
        : await timeRequests(compare.url, token, body, options, true);
    badAnswers += own.badAnswers + (other?.badAnswers ?? 0);
    const times = own.times;
    const compareTimes = other?.times;
    // Context, not a target: the same upstream calls from bare node:http, no per-request cap.
    const baselineMs = median(
      (await timeRequests(options.baselineUrl, token, body, options, false)).times,
    );
    const floorMs = Math.ceil((2 * n) / callCap) * options.latencyMs;
    const medianMs = median(times);
    const ratio = medianMs / floorMs;
    const compareMs = compareTimes === undefined ? undefined : median(compareTimes);
    results.push({
      observables: n,
      runs,
      medianMs: round(medianMs),
      p90Ms: round(percentile(times, 90)),
      floorMs,
      ratio: round(ratio),
      baselineMedianMs: round(baselineMs),
      ...(compareTimes === undefined || compareMs === undefined
        ? {}
        : {
            compare: {
              medianMs: round(compareMs),
              p90Ms: round(percentile(compareTimes, 90)),
              relayOverCompare: round(medianMs / compareMs),
            },
          }),
      target: LATENCY_TARGET_RATIO,
      pass: ratio <= LATENCY_TARGET_RATIO,
    });
    rows.push({
      part: '1',
      measure: `/observe, ${n} observable${n > 1 ? 's' : ''}, median of ${runs}`,
      value: `${medianMs.toFixed(1)} ms = ${ratio.toFixed(2)} × floor ${floorMs} ms (bare node ${baselineMs.toFixed(1)} ms${compareMs === undefined ? '' : `; compare-dist ${compareMs.toFixed(1)} ms, this/that ${(medianMs / compareMs).toFixed(2)}`})`,
      target: `≤ ${LATENCY_TARGET_RATIO} × floor`,
      pass: ratio <= LATENCY_TARGET_RATIO,
    });
    progress(
      `latency n=${n}: median ${medianMs.toFixed(1)} ms, floor ${floorMs} ms, bare node ${baselineMs.toFixed(1)} ms${compareMs === undefined ? '' : `, compare-dist ${compareMs.toFixed(1)} ms`}`,
    );
  }
  const latency = {
    simulatorLatencyMs: options.latencyMs,
    concurrency: options.concurrency,
    subscriptionConcurrency: options.concurrency,
    callCap,
    floor: 'ceil(2·n / min(QUALYS_SUBSCRIPTION_CONCURRENCY, QUALYS_CONCURRENCY)) · L',
    warmupRequests: options.warmupRequests,
    ...(options.compareDist === '' ? {} : { compareDist: options.compareDist }),
    results,
  };
  return { rows, report: { latency }, badAnswers };
}
