/**
 * Part 8 of `npm run bench`: Qualys calls per investigation (spec §12), with
 * batched searches on (`QUALYS_BATCH_SIZE=20`) and off (`=1`), and the
 * original relay's pattern (two searches per observable, one at a time).
 *
 * Three investigations (bench/lib/investigations.ts): the 35-observable mix
 * (10 SHA-256, 5 MD5, 5 IPs, 10 domains, 5 file names; one SHA-256, one MD5
 * and one IP seen by Qualys), 50 observables nobody has seen, and 10 that
 * all have events. A Qualys simulator in this process serves their data set
 * with contains matching, 100 ms per call and 2 concurrent searches per
 * user (spec §9's default), as a subscription does.
 *
 * Three relay processes, all with `QUALYS_CACHE_TTL_SEC=0` so every run
 * calls Qualys:
 *   - on:         QUALYS_BATCH_SIZE=20, QUALYS_SUBSCRIPTION_CONCURRENCY=2;
 *   - off:        QUALYS_BATCH_SIZE=1,  QUALYS_SUBSCRIPTION_CONCURRENCY=2;
 *   - sequential: QUALYS_BATCH_SIZE=1 and QUALYS_CONCURRENCY=1 (the whole
 *     process one call at a time, whatever Qualys's headers allow): the
 *     original relay's pattern, measured.
 * Every run uses credentials of its own (a fresh simulator user), so each
 * run fetches its Qualys token once (counted apart from the searches; its
 * 100 ms are in the wall time) and starts from a fresh subscription (no
 * learned concurrency or batch size). One warm-up round with other
 * credentials first; then `runs` rounds, the relays' order rotating.
 *
 * Figures: the simulator's counts (searches, batched searches, /auth), the
 * wall time of one `/observe/observables`, as a ratio to the schedule floor
 * of the batching-off run, ceil(searches_off / 2) × 100 ms, and whether the
 * three relays answer the same entities (ids aside).
 */
import { Agent } from 'node:http';
import { mintRelayToken } from '../../src/cli/relay-token.js';
import {
  startQualysSimulator,
  type QualysSimulator,
} from '../../tools/simulator/qualys-simulator.js';
import { postJson } from '../../tools/lib/http-client.js';
import { INVESTIGATIONS, investigationEvents, type Investigation } from '../lib/investigations.js';
import { ProcessGroup, startRelay, type RelayProcess } from '../lib/processes.js';
import type { PartResult, Row } from '../lib/report.js';
import { median, round } from '../lib/stats.js';

export const CALLS_PART = '8';

export const CALLS_SETUP = {
  latencyMs: 100,
  concurrency: 2,
  batchSize: 20,
} as const;

/** Issue goals: the 35-mix in ≤ 14 searches and ≤ 0.3 × the batching-off wall time; all-hits ≤ 1.1 × off's searches. */
export const CALLS_TARGETS = {
  mixSearches: 14,
  mixWallRatio: 0.3,
  allHitsSearchRatio: 1.1,
} as const;

type Mode = 'on' | 'off' | 'sequential';
const MODES: readonly Mode[] = ['on', 'off', 'sequential'];

const MODE_ENV: Record<Mode, Record<string, string>> = {
  on: {
    QUALYS_BATCH_SIZE: String(CALLS_SETUP.batchSize),
    QUALYS_SUBSCRIPTION_CONCURRENCY: String(CALLS_SETUP.concurrency),
  },
  off: {
    QUALYS_BATCH_SIZE: '1',
    QUALYS_SUBSCRIPTION_CONCURRENCY: String(CALLS_SETUP.concurrency),
  },
  // The process cap holds whatever X-ConcurrencyLimit-Limit says: one call at a time.
  sequential: {
    QUALYS_BATCH_SIZE: '1',
    QUALYS_SUBSCRIPTION_CONCURRENCY: '1',
    QUALYS_CONCURRENCY: '1',
  },
};

export interface CallsOptions {
  /** Measured rounds (each: every investigation through every relay), after one warm-up round. */
  runs: number;
  jwtSecret: string;
  /** Extra relay environment (NODE_OPTIONS). */
  relayEnv: Record<string, string>;
  progress(text: string): void;
}

interface RunFigures {
  ms: number;
  searches: number;
  batchedSearches: number;
  authCalls: number;
  refusals: number;
  peakRunning: number;
}

interface ModeFigures {
  runs: RunFigures[];
  medianMs: number;
  /** Median of the runs' searches (they do not differ when the relay is deterministic). */
  searches: number;
  searchesRange: [number, number];
  batchedSearches: number;
  authCalls: number;
  refusals: number;
  peakRunning: number;
}

export interface InvestigationFigures {
  key: Investigation['key'];
  label: string;
  observables: number;
  seen: number;
  on: ModeFigures;
  off: ModeFigures;
  sequential: ModeFigures;
  /** Schedule floor of the batching-off run: ceil(searches_off / 2) × 100 ms. */
  offFloorMs: number;
  /** The original relay's pattern, computed: 2n searches, 2n × 100 ms. */
  originalFloor: { searches: number; ms: number };
  /** Entities per type of the batching-off answer. */
  counts: Record<string, number>;
  /** Whether every answer of every relay held the same entities (ids aside) as the first off answer. */
  answersEqual: boolean;
  differences: string[];
  badAnswers: number;
}

/**
 * An answer reduced to what must not depend on how it was searched: the
 * entities of each type, ids replaced by the entity they name, as sorted
 * JSON texts. A verdict's `valid_time` starts when its searches were
 * answered (spec §13), so it differs between any two runs and is left out.
 */
export function canonicalAnswer(text: string): Map<string, string[]> | string {
  let body: { data?: Record<string, unknown>; errors?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return 'not JSON';
  }
  if (body.errors !== undefined) return `errors ${JSON.stringify(body.errors)}`;
  if (typeof body.data !== 'object' || body.data === null) return 'no data';
  const lists = new Map<string, Record<string, unknown>[]>();
  for (const [type, value] of Object.entries(body.data)) {
    const docs = (value as { docs?: unknown }).docs;
    lists.set(type, Array.isArray(docs) ? (docs as Record<string, unknown>[]) : []);
  }
  const strip = (entity: Record<string, unknown>, names: Map<string, string>) =>
    JSON.stringify(entity, (key, value: unknown) => {
      if (key === 'id') return undefined;
      if (key === 'valid_time' && entity.type === 'verdict') return undefined;
      if (typeof value === 'string' && names.has(value)) return `→${names.get(value)}`;
      return value;
    });
  // Entities that are named by others (sightings, indicators, judgements) first, without references.
  const names = new Map<string, string>();
  for (const [type, docs] of lists) {
    if (type === 'relationships' || type === 'verdicts') continue;
    for (const doc of docs)
      if (typeof doc.id === 'string') names.set(doc.id, strip(doc, new Map()));
  }
  const canonical = new Map<string, string[]>();
  for (const [type, docs] of lists)
    canonical.set(type, docs.map((doc) => strip(doc, names)).sort());
  return canonical;
}

function differencesOf(
  reference: Map<string, string[]>,
  other: Map<string, string[]>,
  what: string,
): string[] {
  const types = new Set([...reference.keys(), ...other.keys()]);
  const out: string[] = [];
  for (const type of types) {
    const a = reference.get(type) ?? [];
    const b = other.get(type) ?? [];
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push(
        `${what}: ${type} ${b.length} (off ${a.length}), ${a.length === b.length ? 'contents differ' : 'counts differ'}`,
      );
  }
  return out;
}

function summarise(runs: RunFigures[]): ModeFigures {
  const searches = runs.map((r) => r.searches);
  return {
    runs,
    medianMs: round(median(runs.map((r) => r.ms)), 1),
    searches: median(searches),
    searchesRange: [Math.min(...searches), Math.max(...searches)],
    batchedSearches: median(runs.map((r) => r.batchedSearches)),
    authCalls: median(runs.map((r) => r.authCalls)),
    refusals: runs.reduce((sum, r) => sum + r.refusals, 0),
    peakRunning: Math.max(...runs.map((r) => r.peakRunning)),
  };
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;
const searchesText = (m: ModeFigures): string =>
  `${m.searches}${m.searchesRange[0] === m.searchesRange[1] ? '' : ` (${m.searchesRange[0]}–${m.searchesRange[1]})`}`;

function rowsOf(f: InvestigationFigures, runs: number): Row[] {
  const part = CALLS_PART;
  const auth = MODES.map((mode) => f[mode].authCalls);
  const authText = auth.every((n) => n === auth[0])
    ? `${auth[0]} /auth per run each`
    : `/auth ${auth.join(' | ')}`;
  const calls: Row = {
    part,
    measure: `${f.label} (${f.seen} seen): Qualys searches, on | off | sequential`,
    value: `on ${searchesText(f.on)} (${f.on.batchedSearches} batched) = ${(f.on.searches / f.off.searches).toFixed(2)} × off | off ${searchesText(f.off)} | sequential ${searchesText(f.sequential)} (2n = ${f.originalFloor.searches}); ${authText}`,
    target: '',
    pass: null,
  };
  if (f.key === 'mix35') {
    calls.target = `on ≤ ${CALLS_TARGETS.mixSearches}`;
    calls.pass = f.on.searchesRange[1] <= CALLS_TARGETS.mixSearches;
  } else if (f.key === 'hits10') {
    calls.target = `on ≤ ${CALLS_TARGETS.allHitsSearchRatio} × off`;
    calls.pass = f.on.searchesRange[1] <= CALLS_TARGETS.allHitsSearchRatio * f.off.searches;
  }
  const ratio = (m: ModeFigures) => (m.medianMs / f.offFloorMs).toFixed(2);
  const refusals = MODES.reduce((sum, mode) => sum + f[mode].refusals, 0);
  const wall: Row = {
    part,
    measure: `  … wall time, ${CALLS_SETUP.concurrency} concurrent, ${CALLS_SETUP.latencyMs} ms per call, median of ${runs}`,
    value: `on ${ms(f.on.medianMs)} = ${ratio(f.on)} × | off ${ms(f.off.medianMs)} = ${ratio(f.off)} × | sequential ${ms(f.sequential.medianMs)} = ${ratio(f.sequential)} × the off floor ${ms(f.offFloorMs)} (2n × ${CALLS_SETUP.latencyMs} ms = ${ms(f.originalFloor.ms)}); on / off ${(f.on.medianMs / f.off.medianMs).toFixed(2)}${refusals > 0 ? `; ${refusals} refusals` : ''}`,
    target: '',
    pass: null,
  };
  if (f.key === 'mix35') {
    wall.target = `on ≤ ${CALLS_TARGETS.mixWallRatio} × off`;
    wall.pass = f.on.medianMs <= CALLS_TARGETS.mixWallRatio * f.off.medianMs;
  }
  const counts = Object.entries(f.counts)
    .map(([type, n]) => `${n} ${type}`)
    .join(', ');
  const answers: Row = {
    part,
    measure: '  … answers of on, off and sequential (entities, ids aside)',
    value: f.answersEqual
      ? `equal: ${counts === '' ? 'no entities' : counts}`
      : `DIFFER: ${f.differences.slice(0, 3).join('; ')}${f.differences.length > 3 ? ` (+${f.differences.length - 3})` : ''}`,
    target: 'equal',
    pass: f.answersEqual && f.badAnswers === 0,
  };
  return [calls, wall, answers];
}

/** Starts the simulator and three relays, runs every round, stops them all before it returns. */
export async function measureCallsPerInvestigation(options: CallsOptions): Promise<PartResult> {
  const rounds = options.runs + 1;
  // A user per run: each run fetches its token once and is a subscription of its own.
  const runsNeeded = rounds * INVESTIGATIONS.length * MODES.length;
  const users = Array.from({ length: runsNeeded }, (_, i) => ({
    user: `bench-calls-${i}`,
    pass: `bench-calls-password-${i}`,
  }));
  const tokens = await Promise.all(
    users.map(({ user, pass }) => mintRelayToken(options.jwtSecret, { user, pass })),
  );
  let nextToken = 0;

  const group = new ProcessGroup();
  let simulator: QualysSimulator | undefined;
  const agents: Agent[] = [];
  try {
    options.progress(
      `calls per investigation: simulator (${CALLS_SETUP.latencyMs} ms, ${CALLS_SETUP.concurrency} concurrent, contains matching) and three relays (batching on, off, sequential)`,
    );
    simulator = await startQualysSimulator({
      latencyMs: CALLS_SETUP.latencyMs,
      concurrencyLimit: CALLS_SETUP.concurrency,
      containsMatch: true,
      events: investigationEvents(),
      credentials: Object.fromEntries(users.map(({ user, pass }) => [user, pass])),
      maxRecordedRequests: 2_000,
    });
    const sim = simulator;
    const relays = {} as Record<Mode, RelayProcess>;
    for (const mode of MODES)
      relays[mode] = await startRelay(group, {
        simulatorUrl: sim.url,
        jwtSecret: options.jwtSecret,
        name: `relay (${mode})`,
        env: { QUALYS_CACHE_TTL_SEC: '0', ...MODE_ENV[mode], ...options.relayEnv },
      });
    const agentOf = {} as Record<Mode, Agent>;
    for (const mode of MODES) {
      agentOf[mode] = new Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(agentOf[mode]);
    }

    const measured = new Map<string, Record<Mode, RunFigures[]>>();
    const answers = new Map<string, { mode: Mode; canonical: Map<string, string[]> }[]>();
    const bad = new Map<string, string[]>();
    for (const investigation of INVESTIGATIONS) {
      measured.set(investigation.key, { on: [], off: [], sequential: [] });
      answers.set(investigation.key, []);
      bad.set(investigation.key, []);
    }

    const runOne = async (investigation: Investigation, mode: Mode): Promise<RunFigures> => {
      const token = tokens[nextToken++];
      sim.resetStats();
      const answer = await postJson(
        relays[mode].url,
        '/observe/observables',
        investigation.observables,
        { token, agent: agentOf[mode], timeoutMs: 60_000 },
      );
      const stats = sim.stats;
      const canonical =
        answer.status === 200 ? canonicalAnswer(answer.text) : `status ${answer.status}`;
      if (typeof canonical === 'string') bad.get(investigation.key)?.push(`${mode}: ${canonical}`);
      else answers.get(investigation.key)?.push({ mode, canonical });
      return {
        ms: round(answer.ms, 1),
        searches: stats.searchCalls,
        batchedSearches: stats.batchedSearchCalls,
        authCalls: stats.authCalls,
        refusals: stats.searches.filter((search) => search.refused !== undefined).length,
        peakRunning: stats.peakRunningSearches.overall,
      };
    };

    for (let r = 0; r < rounds; r++) {
      const warmUp = r === 0;
      for (const investigation of INVESTIGATIONS) {
        // Rotate which relay goes first, so none always runs on a fresher machine.
        const order = MODES.map((_, i) => MODES[(i + r) % MODES.length]);
        for (const mode of order) {
          const figures = await runOne(investigation, mode);
          if (!warmUp) measured.get(investigation.key)?.[mode].push(figures);
          options.progress(
            `${warmUp ? 'warm-up' : `round ${r}`}: ${investigation.label}, ${mode}: ${figures.searches} searches (${figures.batchedSearches} batched), ${figures.authCalls} /auth, ${figures.ms.toFixed(0)} ms`,
          );
        }
      }
    }
    for (const mode of MODES)
      if (relays[mode].child.exited)
        throw new Error(`the ${mode} relay died:\n${relays[mode].child.output()}`);

    const rows: Row[] = [];
    const figures: Record<string, InvestigationFigures> = {};
    let badAnswers = 0;
    for (const investigation of INVESTIGATIONS) {
      const byMode = measured.get(investigation.key) as Record<Mode, RunFigures[]>;
      const given = answers.get(investigation.key) ?? [];
      const problems = [...(bad.get(investigation.key) ?? [])];
      const reference =
        given.find((a) => a.mode === 'off')?.canonical ?? new Map<string, string[]>();
      const differences = given.flatMap((a, i) =>
        differencesOf(reference, a.canonical, `${a.mode} answer ${i + 1}`),
      );
      const counts = Object.fromEntries([...reference].map(([type, docs]) => [type, docs.length]));
      // An investigation nobody has seen has no sightings; one with hits has some.
      const sightings = reference.get('sightings')?.length ?? 0;
      if ((investigation.seen === 0) !== (sightings === 0))
        problems.push(`${sightings} sightings for ${investigation.seen} observables seen`);
      const off = summarise(byMode.off);
      const n = investigation.observables.length;
      const f: InvestigationFigures = {
        key: investigation.key,
        label: investigation.label,
        observables: n,
        seen: investigation.seen,
        on: summarise(byMode.on),
        off,
        sequential: summarise(byMode.sequential),
        offFloorMs: Math.ceil(off.searches / CALLS_SETUP.concurrency) * CALLS_SETUP.latencyMs,
        originalFloor: { searches: 2 * n, ms: 2 * n * CALLS_SETUP.latencyMs },
        counts,
        answersEqual: differences.length === 0 && problems.length === 0,
        differences: [...problems, ...differences],
        badAnswers: problems.length + (differences.length === 0 ? 0 : 1),
      };
      for (const problem of f.differences) options.progress(`${investigation.label}: ${problem}`);
      figures[investigation.key] = f;
      badAnswers += f.badAnswers;
      rows.push(...rowsOf(f, options.runs));
    }
    return {
      rows,
      report: {
        callsPerInvestigation: {
          simulator: {
            latencyMs: CALLS_SETUP.latencyMs,
            concurrencyLimit: CALLS_SETUP.concurrency,
            containsMatch: true,
          },
          relays: Object.fromEntries(
            MODES.map((mode) => [mode, { QUALYS_CACHE_TTL_SEC: '0', ...MODE_ENV[mode] }]),
          ),
          credentials: 'a fresh simulator user per run: one /auth per run, in its wall time',
          floor: 'ceil(searches of the batching-off run / 2) × 100 ms',
          runs: options.runs,
          targets: CALLS_TARGETS,
          investigations: figures,
        },
      },
      badAnswers,
    };
  } finally {
    for (const agent of agents) agent.destroy();
    await group.stopAll();
    await simulator?.close();
  }
}
