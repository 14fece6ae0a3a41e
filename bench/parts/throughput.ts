/**
 * Parts 2 and 4 of `npm run bench`: throughput under autocannon against a
 * bare node:http baseline making the same Qualys calls (ratio per round,
 * rounds interleaved, the median round reported), the Qualys calls each
 * answered request cost, and the relay's peak RSS during it all (part 4).
 * With a --compare-dist relay, it runs in every round beside this one.
 */
import autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { mintRelayToken } from '../../src/cli/relay-token.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../../tools/simulator/qualys-simulator.js';
import { SimulatorClient } from '../../tools/simulator/simulator-client.js';
import { postJson } from '../../tools/lib/http-client.js';
import {
  MemorySampler,
  memoryOf,
  type BaselineProcess,
  type RelayProcess,
} from '../lib/processes.js';
import { observables } from '../lib/observables.js';
import { progress, type PartResult, type Row } from '../lib/report.js';
import { median, mib, round } from '../lib/stats.js';

/** Issue #6 targets; issue #9: the scheduler costs the unlimited path at most 10 % throughput. */
export const THROUGHPUT_TARGET = {
  throughputRatio: 0.5,
  peakRssMiB: 200,
  compareThroughputRatio: 0.9,
};

export interface ThroughputOptions {
  relay: RelayProcess;
  compare: RelayProcess | undefined;
  /** Another build's dist/ that `compare` runs; '' for none. */
  compareDist: string;
  baseline: BaselineProcess;
  simulatorUrl: string;
  jwtSecret: string;
  /** The simulator's latency during this part, ms. */
  latencyMs: number;
  connections: number;
  observablesPerRequest: number;
  rounds: number;
  secondsPerRound: number;
  /** The baseline's socket cap (the relay's --concurrency). */
  concurrency: number;
}

interface LoadFigures {
  requestsPerSecond: number;
  /** Searches the simulator received during the run (requests still in flight at its end included). */
  qualysCalls: number;
  /** qualysCalls / requests: 2 per observable when no call is shared between requests. */
  qualysCallsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
}

/**
 * Tokens differing only in CTR_ENTITIES_LIMIT (100, 101, …; far above the
 * events any of these searches has, so the answers do not change). The relay
 * coalesces identical searches in flight (spec §9) and the page size is part
 * of a search's identity, so a request whose token nobody else in flight
 * uses makes all of its own Qualys calls: the same work as before coalescing
 * existed. Handed out round robin, one per request.
 */
async function loadTokens(jwtSecret: string, connections: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: Math.max(256, connections * 8) }, (_, i) =>
      mintRelayToken(jwtSecret, {
        user: SIMULATOR_USER,
        pass: SIMULATOR_PASSWORD,
        CTR_ENTITIES_LIMIT: 100 + i,
      }),
    ),
  );
}

/**
 * The simulator's search count once it stops moving: requests cut off at the
 * end of a run still finish their calls, which belong to this run, not the next.
 */
async function settledSearchCalls(simulator: SimulatorClient): Promise<number> {
  // Unchanged for half a second (a saturated relay can pause longer than a
  // few polls), at most ten seconds.
  let calls = (await simulator.stats()).searchCalls;
  for (let i = 0, stable = 0; i < 100 && stable < 5; i++) {
    await sleep(100);
    const now = (await simulator.stats()).searchCalls;
    stable = now === calls ? stable + 1 : 0;
    calls = now;
  }
  return calls;
}

async function load(
  url: string,
  tokens: readonly string[],
  simulator: SimulatorClient,
  seconds: number,
  check: (body: string | Buffer | undefined) => boolean,
  options: ThroughputOptions,
): Promise<LoadFigures> {
  let next = 0;
  const callsBefore = (await simulator.stats()).searchCalls;
  const result = await autocannon({
    url: `${url}/observe/observables`,
    method: 'POST',
    connections: options.connections,
    duration: seconds,
    timeout: 30,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(observables(options.observablesPerRequest)),
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          headers: {
            ...request.headers,
            Authorization: `Bearer ${tokens[next++ % tokens.length]}`,
          },
        }),
      },
    ],
    verifyBody: check,
  });
  const calls = (await settledSearchCalls(simulator)) - callsBefore;
  return {
    requestsPerSecond: round(result.requests.total / result.duration, 1),
    qualysCalls: calls,
    qualysCallsPerRequest: round(calls / Math.max(1, result.requests.total)),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
  };
}

/**
 * The searches one request makes when nothing else is in flight: 2 per
 * observable for the baseline and a relay without batched searches, fewer
 * for one that batches (spec §12). Under load a side making more per
 * request would be doing more work, and one making fewer would be sharing.
 */
async function callsOfLoneRequest(
  url: string,
  token: string,
  simulator: SimulatorClient,
  observablesPerRequest: number,
): Promise<number> {
  const before = await settledSearchCalls(simulator);
  await postJson(url, '/observe/observables', observables(observablesPerRequest), { token });
  return (await settledSearchCalls(simulator)) - before;
}

type Side = 'baseline' | 'relay' | 'compare';
type Round = { baseline: LoadFigures; relay: LoadFigures; compare?: LoadFigures };

/** The round whose `ratio` is the median (lower middle for an even count). */
function medianBy(rounds: Round[], ratio: (r: Round) => number): Round {
  return [...rounds].sort((a, b) => ratio(a) - ratio(b))[Math.floor((rounds.length - 1) / 2)];
}

/**
 * Which side runs when in round `i`. Alternate the order so no side always
 * runs first or on a warmer machine. With a second relay, the two relays
 * always run back to back (their ratio is the figure that matters, and
 * adjacent runs share the machine's state best), first one then the other,
 * with the baseline before them in two rounds out of four and after in the others.
 */
function roundOrder(i: number, withCompare: boolean): Side[] {
  if (!withCompare) return i % 2 === 0 ? ['baseline', 'relay'] : ['relay', 'baseline'];
  const pair: Side[] = i % 2 === 0 ? ['relay', 'compare'] : ['compare', 'relay'];
  return Math.floor(i / 2) % 2 === 0 ? ['baseline', ...pair] : [...pair, 'baseline'];
}

export async function measureThroughput(options: ThroughputOptions): Promise<PartResult> {
  const { relay, compare, baseline } = options;
  const rows: Row[] = [];
  let badAnswers = 0;
  const simulator = new SimulatorClient(options.simulatorUrl);
  await simulator.setLatency(options.latencyMs);
  const tokens = await loadTokens(options.jwtSecret, options.connections);
  const text = (body: string | Buffer | undefined) =>
    typeof body === 'string' ? body : (body?.toString('utf8') ?? '');
  const relayOk = (body: string | Buffer | undefined) => {
    const answer = text(body);
    return answer.startsWith('{"data":{') && !answer.includes('"errors":');
  };
  const baselineOk = (body: string | Buffer | undefined) => text(body).startsWith('{"data":[');
  const sides: Side[] =
    compare === undefined ? ['baseline', 'relay'] : ['baseline', 'relay', 'compare'];
  const run = (side: Side, seconds: number) =>
    side === 'baseline'
      ? load(baseline.url, tokens, simulator, seconds, baselineOk, options)
      : load(
          (side === 'relay' ? relay : (compare as RelayProcess)).url,
          tokens,
          simulator,
          seconds,
          relayOk,
          options,
        );

  const relayMemory = new MemorySampler(relay.child.pid, 100);
  const baselineMemory = new MemorySampler(baseline.child.pid, 100);
  const compareMemory =
    compare === undefined ? undefined : new MemorySampler(compare.child.pid, 100);
  progress(
    `throughput: warm-up, then ${options.rounds} round(s) of ${options.secondsPerRound} s per server (${sides.join(', ')})`,
  );
  const urlOf = (side: Side): string =>
    side === 'baseline' ? baseline.url : (side === 'relay' ? relay : (compare as RelayProcess)).url;
  const loneCalls: Partial<Record<Side, number>> = {};
  for (const side of sides)
    loneCalls[side] = await callsOfLoneRequest(
      urlOf(side),
      tokens[0],
      simulator,
      options.observablesPerRequest,
    );
  relayMemory.start();
  baselineMemory.start();
  compareMemory?.start();
  for (const side of sides) await run(side, 2);
  const rounds: Round[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const order = roundOrder(i, compare !== undefined);
    const figures: Partial<Record<Side, LoadFigures>> = {};
    for (const side of order) figures[side] = await run(side, options.secondsPerRound);
    const round_: Round = {
      baseline: figures.baseline as LoadFigures,
      relay: figures.relay as LoadFigures,
      ...(figures.compare === undefined ? {} : { compare: figures.compare }),
    };
    rounds.push(round_);
    progress(
      `round ${i + 1} (${order.join(', ')}): baseline ${round_.baseline.requestsPerSecond} req/s, relay ${round_.relay.requestsPerSecond} req/s${round_.compare === undefined ? '' : `, compare-dist ${round_.compare.requestsPerSecond} req/s`}`,
    );
  }
  relayMemory.stop();
  baselineMemory.stop();
  compareMemory?.stop();
  const relayHwm = (await memoryOf(relay.child.pid)).hwmKiB;

  for (const figures of rounds.flatMap((r) => [
    r.relay,
    r.baseline,
    ...(r.compare ? [r.compare] : []),
  ])) {
    badAnswers += figures.non2xx + figures.errors + figures.mismatches;
  }
  // Each round compares back-to-back runs, so slow drifts in the machine's
  // other load cancel out; the median round is reported.
  const ratioOf = (r: Round) => r.relay.requestsPerSecond / r.baseline.requestsPerSecond;
  const medianRound = medianBy(rounds, ratioOf);
  const relayMedian = medianRound.relay;
  const baselineMedian = medianRound.baseline;
  const ratio = ratioOf(medianRound);
  rows.push({
    part: '2',
    measure: `throughput, ${options.connections} conns, ${options.observablesPerRequest} observables, L=${options.latencyMs} ms`,
    value: `relay ${relayMedian.requestsPerSecond} / baseline ${baselineMedian.requestsPerSecond} req/s = ${ratio.toFixed(2)}${rounds.length > 1 ? ` (median of ${rounds.map((r) => ratioOf(r).toFixed(2)).join(', ')})` : ''}`,
    target: `≥ ${THROUGHPUT_TARGET.throughputRatio}`,
    pass: ratio >= THROUGHPUT_TARGET.throughputRatio,
  });
  rows.push({
    part: '2',
    measure: 'latency under that load, p50 / p99',
    value: `relay ${relayMedian.p50Ms} / ${relayMedian.p99Ms} ms; baseline ${baselineMedian.p50Ms} / ${baselineMedian.p99Ms} ms`,
    target: '',
    pass: null,
  });
  // Each side does under load what it does for one request alone (2 per
  // observable, fewer with batched searches): a side sharing calls between
  // requests would look faster. The exception is a relay that batches (a lone
  // request costs it fewer than 2 per observable): its observables join a
  // batch of another request in flight (spec §12), so under load it makes
  // fewer, never more. Requests cut off at the end of a run made calls but
  // are not counted as answered, hence the tolerance (at most one per
  // connection and run).
  const workOf = (side: Side) => {
    const expected = loneCalls[side] ?? 0;
    const batches = expected < 2 * options.observablesPerRequest;
    const loads = rounds.flatMap((r) => (r[side] === undefined ? [] : [r[side]]));
    const requests = loads.reduce((sum, l) => sum + l.requests, 0);
    const calls = loads.reduce((sum, l) => sum + l.qualysCalls, 0);
    const perRequest = calls / Math.max(1, requests);
    const tolerance = (expected * options.connections * loads.length) / Math.max(1, requests);
    const shares = perRequest < expected - 0.01;
    return {
      expected,
      perRequest,
      shares,
      same: perRequest <= expected + tolerance + 0.01 && (batches || !shares),
    };
  };
  rows.push({
    part: '2',
    measure: 'Qualys calls per answered request (simulator count, all rounds)',
    value: sides
      .map((side) => {
        const work = workOf(side);
        return `${side} ${work.perRequest.toFixed(2)} (alone ${work.expected}${work.shares ? ', joins searches in flight' : ''})`;
      })
      .join(', '),
    target: "a lone request's; fewer only when batching",
    pass: sides.every((side) => workOf(side).same),
  });
  let comparison: Record<string, unknown> | undefined;
  if (compare !== undefined) {
    const compareRounds = rounds as Required<Round>[];
    // This relay against the other build, round by round (the same machine
    // minutes), and each against the baseline of its round.
    const overCompare = (r: Required<Round>) =>
      r.relay.requestsPerSecond / r.compare.requestsPerSecond;
    const compareRatioOf = (r: Required<Round>) =>
      r.compare.requestsPerSecond / r.baseline.requestsPerSecond;
    const ratios = compareRounds.map(overCompare);
    const medianRatio = median(ratios);
    const medianOf = (pick: (r: Required<Round>) => number) => median(compareRounds.map(pick));
    const relayRps = medianOf((r) => r.relay.requestsPerSecond);
    const compareRps = medianOf((r) => r.compare.requestsPerSecond);
    rows.push({
      part: '2',
      measure: `  … this relay / --compare-dist relay, interleaved, median of ${rounds.length} rounds`,
      value: `${medianRatio.toFixed(2)} (rounds ${ratios.map((r) => r.toFixed(2)).join(', ')}); medians ${relayRps} / ${compareRps} req/s; compare-dist/baseline ${median(compareRounds.map(compareRatioOf)).toFixed(2)}`,
      target: `≥ ${THROUGHPUT_TARGET.compareThroughputRatio}`,
      pass: medianRatio >= THROUGHPUT_TARGET.compareThroughputRatio,
    });
    const compareP50 = medianOf((r) => r.compare.p50Ms);
    const compareP99 = medianOf((r) => r.compare.p99Ms);
    rows.push({
      part: '2',
      measure: '  … latency under that load, medians of rounds, p50 / p99',
      value: `relay ${medianOf((r) => r.relay.p50Ms)} / ${medianOf((r) => r.relay.p99Ms)} ms; compare-dist ${compareP50} / ${compareP99} ms`,
      target: '',
      pass: null,
    });
    comparison = {
      dist: options.compareDist,
      roundRatios: ratios.map((r) => round(r)),
      medianRatio: round(medianRatio),
      relayMedianRequestsPerSecond: relayRps,
      compareMedianRequestsPerSecond: compareRps,
      compareOverBaselineRoundRatios: compareRounds.map((r) => round(compareRatioOf(r))),
      comparePeakRssMiB: mib((compareMemory?.peakRssKiB ?? 0) * 1024),
      target: THROUGHPUT_TARGET.compareThroughputRatio,
      pass: medianRatio >= THROUGHPUT_TARGET.compareThroughputRatio,
    };
  }
  const peakMiB = mib(relayMemory.peakRssKiB * 1024);
  rows.push({
    part: '4',
    measure: 'relay peak RSS during (2), sampled every 100 ms',
    value: `${peakMiB} MiB (VmHWM since start ${mib(relayHwm * 1024)} MiB; baseline ${mib(baselineMemory.peakRssKiB * 1024)} MiB${compareMemory === undefined ? '' : `; compare-dist ${mib(compareMemory.peakRssKiB * 1024)} MiB`})`,
    target: `< ${THROUGHPUT_TARGET.peakRssMiB} MiB`,
    pass: peakMiB < THROUGHPUT_TARGET.peakRssMiB,
  });
  const report = {
    throughput: {
      simulatorLatencyMs: options.latencyMs,
      connections: options.connections,
      observablesPerRequest: options.observablesPerRequest,
      secondsPerRound: options.secondsPerRound,
      baselineMaxSockets: options.concurrency,
      callsOfLoneRequest: loneCalls,
      rounds,
      roundRatios: rounds.map((r) => round(ratioOf(r))),
      medianRound: { relay: relayMedian, baseline: baselineMedian },
      ratio: round(ratio),
      target: THROUGHPUT_TARGET.throughputRatio,
      pass: ratio >= THROUGHPUT_TARGET.throughputRatio,
      ...(comparison === undefined ? {} : { comparison }),
    },
    memory: {
      method:
        '/proc/<pid>/status VmRSS sampled every 100 ms during warm-up and all rounds of (2); VmHWM read after',
      relayPeakRssMiB: peakMiB,
      relayVmHwmMiB: mib(relayHwm * 1024),
      baselinePeakRssMiB: mib(baselineMemory.peakRssKiB * 1024),
      target: THROUGHPUT_TARGET.peakRssMiB,
      pass: peakMiB < THROUGHPUT_TARGET.peakRssMiB,
    },
  };
  return { rows, report, badAnswers };
}
