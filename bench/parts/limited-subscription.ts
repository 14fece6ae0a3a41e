/**
 * Part 6 of `npm run bench`: a Qualys subscription that allows 2 concurrent
 * calls (spec §9, Qualys's documented default) at 100 ms per call, and
 * observe(10 observables with events) = 20 searches. The schedule floor is
 * ceil(20 / 2) × 100 ms = 1 s: no relay can answer sooner without a refusal.
 *
 * Two scenarios, each with its own simulator (`--concurrency-limit 2
 * --latency 100`) and relay(s) with the defaults (subscription concurrency 2,
 * result cache on):
 *   - one relay;
 *   - two relay processes sharing a redis-server started here, the 10
 *     observables split 5 + 5 across them at the same moment, and the repeat
 *     sent crossed (each replica gets the half the other one fetched).
 *
 * Each measured run must really call Qualys 20 times, so the relays run with
 * a short cache TTL (`QUALYS_CACHE_TTL_SEC=3`) that the bench waits out
 * between runs; the repeat of the same request is sent right after each run,
 * well within the TTL. Refusals, peaks and calls are read from the
 * simulator's own log, not from the relay.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEN_OBSERVABLES_WITH_EVENTS } from '../../tools/simulator/dataset.js';
import type { SimulatorStats } from '../../tools/simulator/qualys-simulator.js';
import {
  REDIS_MISSING,
  redisServerOnPath,
  startRedisServer,
  type RedisServerHandle,
} from '../../tools/lib/redis-server.js';
import { SimulatorClient } from '../../tools/simulator/simulator-client.js';
import { postJson } from '../../tools/lib/http-client.js';
import { ProcessGroup, startRelay, startSimulator, type RelayProcess } from '../lib/processes.js';
import type { PartResult, Row } from '../lib/report.js';
import { median, percentile, round } from '../lib/stats.js';

export const LIMITED = {
  concurrencyLimit: 2,
  latencyMs: 100,
  searches: 20,
  /** Short enough to wait out between runs, long enough for the repeats. */
  cacheTtlSec: 3,
  targetRatio: 1.15,
  repeatTargetMs: 5,
  peakTarget: 2,
} as const;
const FLOOR_MS = Math.ceil(LIMITED.searches / LIMITED.concurrencyLimit) * LIMITED.latencyMs;
/** Margin past the TTL before the next run, and before the TTL for the last repeat. */
const TTL_MARGIN_MS = 300;

const TEN = TEN_OBSERVABLES_WITH_EVENTS;
const FIRST_HALF = TEN.slice(0, 5);
const SECOND_HALF = TEN.slice(5);

export interface LimitedOptions {
  /** Measured cold runs per scenario (one more runs first as a warm-up). */
  runs: number;
  /** Repeats of the same request after each cold run. */
  repeats: number;
  /**
   * Unmeasured repeats after the warm-up run (bounded by the TTL), so the
   * cache-hit path is JIT-warm as a relay in service is, like part 1's warm-up.
   */
  warmupRepeats: number;
  jwtSecret: string;
  token: string;
  /** Extra relay environment (NODE_OPTIONS). */
  relayEnv: Record<string, string>;
  /** The replicas' Redis variables, for a Redis started beforehand (Sentinel, Cluster); default a redis-server of its own. */
  redisEnv?: Record<string, string>;
  progress(text: string): void;
}

interface Answer {
  status: number;
  text: string;
}

interface Scenario {
  label: string;
  relays: RelayProcess[];
  /** The request split as it is sent; the wall time is from the first byte out to the last answer. */
  cold(): Promise<Answer[]>;
  repeat(): Promise<Answer[]>;
}

interface ColdRun {
  ms: number;
  searchCalls: number;
  refusals: number;
  refusalsAfterFirstAnswer: number;
  peakRunningSearches: number;
}

export interface ScenarioFigures {
  label: string;
  relays: number;
  runs: ColdRun[];
  medianMs: number;
  floorMs: number;
  ratio: number;
  target: number;
  refusalsAfterFirstAnswer: number;
  refusals: number;
  peakRunningSearches: number;
  repeat: {
    samples: number;
    searchCalls: number;
    medianMs: number;
    p90Ms: number;
    /** `POST /version` (no Qualys, no cache) on the same connections: the relay's HTTP floor. */
    versionMedianMs: number;
    targetMs: number;
  };
  badAnswers: number;
  pass: boolean;
}

/** Sightings in one answer, or a reason it is not a clean one. */
function sightingsOf(answer: Answer): number | string {
  if (answer.status !== 200) return `status ${answer.status}`;
  try {
    const body = JSON.parse(answer.text) as {
      data?: { sightings?: { count?: number } };
      errors?: unknown;
    };
    if (body.errors !== undefined) return `errors ${JSON.stringify(body.errors)}`;
    return body.data?.sightings?.count ?? 0;
  } catch {
    return 'not JSON';
  }
}

/** Epoch ms of the first admitted search answer. */
function firstAnswerAt(stats: SimulatorStats): number {
  const ends = stats.searches.flatMap((search) =>
    search.refused === undefined && search.endedAt !== undefined ? [search.endedAt] : [],
  );
  return ends.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...ends);
}

async function measureScenario(
  scenario: Scenario,
  simulator: SimulatorClient,
  options: LimitedOptions,
): Promise<ScenarioFigures> {
  let badAnswers = 0;
  let expectedSightings: number | undefined;
  const check = (answers: Answer[], what: string): void => {
    let total = 0;
    for (const answer of answers) {
      const sightings = sightingsOf(answer);
      if (typeof sightings === 'string') {
        badAnswers++;
        options.progress(`${scenario.label}: unexpected ${what} answer: ${sightings}`);
        return;
      }
      total += sightings;
    }
    expectedSightings ??= total;
    if (total !== expectedSightings || total === 0) {
      badAnswers++;
      options.progress(
        `${scenario.label}: ${what} gave ${total} sightings, not ${expectedSightings}`,
      );
    }
  };
  const ttlMs = LIMITED.cacheTtlSec * 1000;
  const runs: ColdRun[] = [];
  const repeatTimes: number[] = [];
  let repeatCalls = 0;

  for (let run = 0; run <= options.runs; run++) {
    const warmUp = run === 0;
    await simulator.resetStats();
    const started = performance.now();
    const answers = await scenario.cold();
    const ms = performance.now() - started;
    const stats = await simulator.stats();
    check(answers, warmUp ? 'warm-up' : 'cold');
    const firstAnswer = firstAnswerAt(stats);
    const refused = stats.searches.filter((search) => search.refused !== undefined);
    const coldRun: ColdRun = {
      ms: round(ms, 1),
      searchCalls: stats.searchCalls,
      refusals: refused.length,
      refusalsAfterFirstAnswer: refused.filter((search) => search.startedAt >= firstAnswer).length,
      peakRunningSearches: stats.peakRunningSearches.overall,
    };
    const lastEnd = Math.max(...stats.searches.map((search) => search.endedAt ?? Date.now()));
    if (warmUp) {
      for (let i = 0; i < options.warmupRepeats; i++) {
        if (Date.now() > firstAnswer + ttlMs - TTL_MARGIN_MS) break;
        check(await scenario.repeat(), 'warm-up repeat');
      }
    } else {
      runs.push(coldRun);
      if (coldRun.searchCalls !== LIMITED.searches) {
        badAnswers++;
        options.progress(
          `${scenario.label}: a cold run made ${coldRun.searchCalls} Qualys calls, not ${LIMITED.searches} (cache not expired?)`,
        );
      }
      // The same request again, within the TTL: the cache answers, Qualys sees nothing.
      await simulator.resetStats();
      for (let i = 0; i < options.repeats; i++) {
        if (Date.now() > firstAnswer + ttlMs - TTL_MARGIN_MS) break;
        const repeatStarted = performance.now();
        const repeated = await scenario.repeat();
        repeatTimes.push(performance.now() - repeatStarted);
        check(repeated, 'repeat');
      }
      repeatCalls += (await simulator.stats()).searchCalls;
      options.progress(
        `${scenario.label} run ${run}: ${coldRun.ms} ms, ${coldRun.searchCalls} calls, ${coldRun.refusals} refused (${coldRun.refusalsAfterFirstAnswer} after the first answer), peak ${coldRun.peakRunningSearches}`,
      );
    }
    // Wait the cache out, so the next run calls Qualys again.
    await sleep(Math.max(0, lastEnd + ttlMs + TTL_MARGIN_MS - Date.now()));
  }

  // The relay's own HTTP floor, on the same kind of connection: POST /version.
  const versionTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    for (const relay of scenario.relays) versionTimes.push((await relayPost(relay, '/version')).ms);
  }

  const medianMs = median(runs.map((r) => r.ms));
  const ratio = medianMs / FLOOR_MS;
  const refusalsAfterFirstAnswer = runs.reduce((sum, r) => sum + r.refusalsAfterFirstAnswer, 0);
  const peak = Math.max(...runs.map((r) => r.peakRunningSearches));
  const repeatMedian = repeatTimes.length === 0 ? Number.NaN : median(repeatTimes);
  const pass =
    ratio <= LIMITED.targetRatio &&
    refusalsAfterFirstAnswer === 0 &&
    peak <= LIMITED.peakTarget &&
    repeatCalls === 0 &&
    repeatMedian <= LIMITED.repeatTargetMs &&
    badAnswers === 0;
  return {
    label: scenario.label,
    relays: scenario.relays.length,
    runs,
    medianMs: round(medianMs, 1),
    floorMs: FLOOR_MS,
    ratio: round(ratio),
    target: LIMITED.targetRatio,
    refusalsAfterFirstAnswer,
    refusals: runs.reduce((sum, r) => sum + r.refusals, 0),
    peakRunningSearches: peak,
    repeat: {
      samples: repeatTimes.length,
      searchCalls: repeatCalls,
      medianMs: round(repeatMedian),
      p90Ms: repeatTimes.length === 0 ? Number.NaN : round(percentile(repeatTimes, 90)),
      versionMedianMs: round(median(versionTimes)),
      targetMs: LIMITED.repeatTargetMs,
    },
    badAnswers,
    pass,
  };
}

const agents = new WeakMap<RelayProcess, Agent>();
function relayPost(relay: RelayProcess, path: string, body?: unknown, token?: string) {
  let agent = agents.get(relay);
  if (agent === undefined) {
    agent = new Agent({ keepAlive: true, maxSockets: 4 });
    agents.set(relay, agent);
  }
  return postJson(relay.url, path, body, { token, agent });
}
function closeAgents(relays: RelayProcess[]): void {
  for (const relay of relays) agents.get(relay)?.destroy();
}

async function redisUp(relay: RelayProcess): Promise<boolean> {
  const response = await fetch(`${relay.url}/metrics`);
  return /relay_redis_state\{state="up"\} 1/.test(await response.text());
}

function rowsOf(part: string, figures: ScenarioFigures, runs: number): Row[] {
  const r = figures.repeat;
  return [
    {
      part,
      measure: `limited, ${figures.label}: observe(10) = ${LIMITED.searches} searches, concurrency ${LIMITED.concurrencyLimit}, L=${LIMITED.latencyMs} ms, median of ${runs}`,
      value: `${figures.medianMs.toFixed(0)} ms = ${figures.ratio.toFixed(2)} × floor ${figures.floorMs} ms (runs ${figures.runs.map((run) => run.ms.toFixed(0)).join(', ')})`,
      target: `≤ ${LIMITED.targetRatio} × floor`,
      pass: figures.ratio <= LIMITED.targetRatio && figures.badAnswers === 0,
    },
    {
      part,
      measure: `  … refusals after the first answer; peak concurrent searches at Qualys`,
      value: `${figures.refusalsAfterFirstAnswer} (${figures.refusals} in all); peak ${figures.peakRunningSearches}`,
      target: `0; ≤ ${LIMITED.peakTarget}`,
      pass:
        figures.refusalsAfterFirstAnswer === 0 && figures.peakRunningSearches <= LIMITED.peakTarget,
    },
    {
      part,
      measure:
        figures.relays > 1
          ? `  … the repeat through the OTHER replica: Qualys calls; median of ${r.samples}`
          : `  … the repeat within the TTL: Qualys calls; median of ${r.samples}`,
      value: `${r.searchCalls} calls; ${r.medianMs.toFixed(2)} ms (p90 ${r.p90Ms.toFixed(2)} ms; POST /version ${r.versionMedianMs.toFixed(2)} ms; ${round(r.medianMs / figures.floorMs, 4)} × floor)`,
      target: `0; ≤ ${LIMITED.repeatTargetMs} ms`,
      pass: r.searchCalls === 0 && r.medianMs <= LIMITED.repeatTargetMs,
    },
  ];
}

/** Runs both scenarios; every process it starts is stopped before it returns. */
export async function measureLimited(options: LimitedOptions): Promise<PartResult> {
  const report: Record<string, unknown> = {
    simulator: { concurrencyLimit: LIMITED.concurrencyLimit, latencyMs: LIMITED.latencyMs },
    relay: `defaults (QUALYS_SUBSCRIPTION_CONCURRENCY=2, cache on) but QUALYS_CACHE_TTL_SEC=${LIMITED.cacheTtlSec}, waited out between runs`,
    observables: TEN.length,
    searches: LIMITED.searches,
    floor: 'ceil(searches / concurrency limit) · L',
    floorMs: FLOOR_MS,
    runs: options.runs,
    repeatsPerRun: options.repeats,
    warmupRepeats: options.warmupRepeats,
  };
  const rows: Row[] = [];
  let badAnswers = 0;
  const relayEnv = { QUALYS_CACHE_TTL_SEC: String(LIMITED.cacheTtlSec), ...options.relayEnv };

  // One relay.
  {
    const group = new ProcessGroup();
    let relays: RelayProcess[] = [];
    try {
      options.progress(
        'limited subscription, one relay: simulator --concurrency-limit 2 --latency 100',
      );
      const simulator = await startSimulator(group, {
        latencyMs: LIMITED.latencyMs,
        concurrencyLimit: LIMITED.concurrencyLimit,
      });
      const relay = await startRelay(group, {
        simulatorUrl: simulator.url,
        jwtSecret: options.jwtSecret,
        env: relayEnv,
      });
      relays = [relay];
      const send = async () => [await relayPost(relay, '/observe/observables', TEN, options.token)];
      const figures = await measureScenario(
        { label: '1 relay', relays, cold: send, repeat: send },
        new SimulatorClient(simulator.url),
        options,
      );
      if (relay.child.exited) throw new Error(`the relay died:\n${relay.child.output()}`);
      report.oneRelay = figures;
      rows.push(...rowsOf('6', figures, options.runs));
      badAnswers += figures.badAnswers;
    } finally {
      closeAgents(relays);
      await group.stopAll();
    }
  }

  // Two replicas sharing Redis.
  if (options.redisEnv === undefined && !redisServerOnPath()) {
    options.progress(REDIS_MISSING);
    report.twoReplicas = { skipped: REDIS_MISSING };
    rows.push({
      part: '6',
      measure: 'limited, 2 replicas sharing Redis',
      value: 'not measured: redis-server is not on the PATH',
      target: '',
      pass: null,
    });
    return { report: { limited: report }, rows, badAnswers };
  }
  const group = new ProcessGroup();
  let redis: RedisServerHandle | undefined;
  let relays: RelayProcess[] = [];
  try {
    options.progress('limited subscription, two replicas sharing a redis-server');
    if (options.redisEnv === undefined) redis = await startRedisServer();
    const simulator = await startSimulator(group, {
      latencyMs: LIMITED.latencyMs,
      concurrencyLimit: LIMITED.concurrencyLimit,
    });
    const env = {
      ...relayEnv,
      ...(options.redisEnv ?? { REDIS_URL: (redis as RedisServerHandle).url }),
      // Bench-only key, for the length of this run.
      CACHE_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    };
    const start = (name: string) =>
      startRelay(group, { simulatorUrl: simulator.url, jwtSecret: options.jwtSecret, env, name });
    const [a, b] = [await start('replica-a'), await start('replica-b')];
    relays = [a, b];
    const until = performance.now() + 15_000;
    while (!(await redisUp(a)) || !(await redisUp(b))) {
      if (performance.now() > until) throw new Error('the replicas never reported Redis up');
      await sleep(50);
    }
    const post = (relay: RelayProcess, observables: unknown) =>
      relayPost(relay, '/observe/observables', observables, options.token);
    const figures = await measureScenario(
      {
        label: '2 replicas + Redis, 5 + 5 at once',
        relays,
        cold: () => Promise.all([post(a, FIRST_HALF), post(b, SECOND_HALF)]),
        // Crossed: each replica answers the half only the other one fetched.
        repeat: () => Promise.all([post(b, FIRST_HALF), post(a, SECOND_HALF)]),
      },
      new SimulatorClient(simulator.url),
      options,
    );
    for (const relay of relays)
      if (relay.child.exited) throw new Error(`a replica died:\n${relay.child.output()}`);
    report.twoReplicas = figures;
    rows.push(...rowsOf('6', figures, options.runs));
    badAnswers += figures.badAnswers;
  } finally {
    closeAgents(relays);
    await group.stopAll();
    await redis?.close();
  }
  return { report: { limited: report }, rows, badAnswers };
}
