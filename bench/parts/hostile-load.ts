/**
 * Part 7 of `npm run bench`: hostile load (spec §15). Loads that exhausted
 * the image's heap before, each against a fresh relay process (so its VmHWM
 * is the load's own peak), with the relay's default bounds:
 *   - 8 concurrent `/observe` of 1,000 md5s each, Qualys answering `[]`;
 *   - 25 observables with CTR_ENTITIES_LIMIT=1000 and full pages (the
 *     simulator's `--events-per-search 1000`).
 * With --compare-dist, the other build runs the same loads (an older build
 * may die: that is reported, not a failure of the bench).
 *
 * Each load is one entry of HOSTILE_LOADS: a figure measured the same way
 * (a fresh relay under one load) is one more entry there.
 */
import { createHash } from 'node:crypto';
import { mintRelayToken } from '../../src/cli/relay-token.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../../tools/simulator/qualys-simulator.js';
import { postJson, type HttpAnswer } from '../../tools/lib/http-client.js';
import {
  ProcessGroup,
  memoryOf,
  startRelay,
  startSimulator,
  type RelayProcess,
} from '../lib/processes.js';
import type { PartResult, Row } from '../lib/report.js';
import { mib, round } from '../lib/stats.js';

export const HOSTILE = {
  peakRssTargetMiB: 300,
  maxAnswerBytes: 16 * 1024 * 1024,
} as const;

export interface HostileOptions {
  jwtSecret: string;
  /** Extra relay environment (NODE_OPTIONS). */
  relayEnv: Record<string, string>;
  /** Another build's dist/ to put under the same loads; '' for none. */
  compareDist: string;
  progress(text: string): void;
}

/** What one load did to one relay. */
interface LoadOutcome {
  /** The relay process still answered `POST /version` after the load. */
  alive: boolean;
  /** VmHWM after the load, MiB; undefined when the process was gone. */
  peakRssMiB: number | undefined;
  seconds: number;
  /** What the answers were, by kind (`data`, `busy`, `deadline`, `cut`, `no answer`, …). */
  answers: Record<string, number>;
  /** Largest answer body, bytes. */
  largestAnswerBytes: number;
}

interface HostileLoad {
  name: string;
  label: string;
  simulator: { latencyMs: number; eventsPerSearch?: number };
  claims: Record<string, unknown>;
  /** Sends the load; the answers (or why none came). */
  send(relay: RelayProcess, token: string): Promise<(HttpAnswer | Error)[]>;
  /** Whether the answers are what the relay should give under this load. */
  answersOk(answers: Record<string, number>): boolean;
}

function md5s(seed: string, n: number): { type: string; value: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'md5',
    value: createHash('md5').update(`${seed}-${i}`).digest('hex'),
  }));
}

const settle = <T>(promise: Promise<T>): Promise<T | Error> =>
  promise.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));

const HOSTILE_LOADS: readonly HostileLoad[] = [
  {
    name: 'eightThousandObservables',
    label: '8 concurrent /observe × 1,000 md5s, Qualys answering []',
    simulator: { latencyMs: 0 },
    claims: {},
    send: (relay, token) =>
      Promise.all(
        Array.from({ length: 8 }, (_, r) =>
          settle(
            postJson(relay.url, '/observe/observables', md5s(`hostile-${r}`, 1000), {
              token,
              timeoutMs: 60_000,
            }),
          ),
        ),
      ),
    answersOk: (answers) => (answers['no answer'] ?? 0) === 0 && (answers.other ?? 0) === 0,
  },
  {
    name: 'fullPages',
    label: '25 observables, CTR_ENTITIES_LIMIT=1000, full pages',
    simulator: { latencyMs: 0, eventsPerSearch: 1000 },
    claims: { CTR_ENTITIES_LIMIT: 1000 },
    send: async (relay, token) => [
      await settle(
        postJson(relay.url, '/observe/observables', md5s('full-pages', 25), {
          token,
          timeoutMs: 60_000,
        }),
      ),
    ],
    answersOk: (answers) => answers.cut === 1,
  },
];

/** The kind of one answer, for the report. */
function kindOf(answer: HttpAnswer | Error): string {
  if (answer instanceof Error) return 'no answer';
  if (answer.status !== 200) return `HTTP ${answer.status}`;
  let body: { data?: unknown; errors?: { type: string; code: string; message: string }[] };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    return 'not JSON';
  }
  const messages = (body.errors ?? []).map((error) => error.message);
  if (messages.some((message) => message.startsWith('The answer reached its size limit')))
    return 'cut';
  if (messages.some((message) => message.startsWith('The relay is busy'))) return 'busy';
  if (messages.some((message) => message.startsWith('Qualys IOC did not answer in time')))
    return 'deadline';
  return messages.length === 0 && body.data !== undefined ? 'data' : 'other';
}

async function underLoad(
  load: HostileLoad,
  options: HostileOptions,
  main: string | undefined,
): Promise<LoadOutcome> {
  const group = new ProcessGroup();
  try {
    const simulator = await startSimulator(group, load.simulator);
    const relay = await startRelay(group, {
      simulatorUrl: simulator.url,
      jwtSecret: options.jwtSecret,
      env: options.relayEnv,
      ...(main === undefined ? {} : { main, name: 'compare-dist relay' }),
    });
    const token = await mintRelayToken(options.jwtSecret, {
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      ...load.claims,
    });
    const started = performance.now();
    const answers = await load.send(relay, token);
    const seconds = (performance.now() - started) / 1000;
    const kinds: Record<string, number> = {};
    for (const answer of answers) kinds[kindOf(answer)] = (kinds[kindOf(answer)] ?? 0) + 1;
    const alive =
      !relay.child.exited &&
      (await settle(postJson(relay.url, '/version', undefined)).then(
        (answer) => !(answer instanceof Error) && answer.status === 200,
      ));
    const hwmKiB = alive ? (await memoryOf(relay.child.pid)).hwmKiB : 0;
    return {
      alive,
      peakRssMiB: hwmKiB > 0 ? mib(hwmKiB * 1024) : undefined,
      seconds: round(seconds, 1),
      answers: kinds,
      largestAnswerBytes: Math.max(
        0,
        ...answers.map((answer) => (answer instanceof Error ? 0 : Buffer.byteLength(answer.text))),
      ),
    };
  } finally {
    await group.stopAll();
  }
}

function describeOutcome(outcome: LoadOutcome): string {
  const answers = Object.entries(outcome.answers)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  const peak = outcome.peakRssMiB === undefined ? 'peak unknown' : `${outcome.peakRssMiB} MiB`;
  return `${outcome.alive ? peak : 'DIED'}; answers: ${answers}; largest ${mib(outcome.largestAnswerBytes)} MiB; ${outcome.seconds} s`;
}

/** Runs every hostile load against this relay (and the --compare-dist one). */
export async function measureHostile(options: HostileOptions): Promise<PartResult> {
  const report: Record<string, unknown> = {
    method:
      'a fresh simulator and relay per load and build, relay defaults (RELAY_MAX_PENDING_SEARCHES, RELAY_MEMORY_BUDGET_MB, RELAY_MAX_ANSWER_MB); peak = /proc/<pid>/status VmHWM after the load',
  };
  const rows: Row[] = [];
  let badAnswers = 0;
  for (const load of HOSTILE_LOADS) {
    options.progress(`hostile load: ${load.label}`);
    const outcome = await underLoad(load, options, undefined);
    const pass =
      outcome.alive &&
      outcome.peakRssMiB !== undefined &&
      outcome.peakRssMiB < HOSTILE.peakRssTargetMiB &&
      outcome.largestAnswerBytes <= HOSTILE.maxAnswerBytes &&
      load.answersOk(outcome.answers);
    if (!load.answersOk(outcome.answers) || !outcome.alive) badAnswers++;
    const entry: Record<string, unknown> = { label: load.label, relay: outcome };
    rows.push({
      part: '7',
      measure: `peak RSS, ${load.label}`,
      value: describeOutcome(outcome),
      target: `alive, < ${HOSTILE.peakRssTargetMiB} MiB, ≤ 16 MiB answer`,
      pass,
    });
    if (options.compareDist !== '') {
      options.progress(`hostile load on --compare-dist: ${load.label}`);
      const compare = await underLoad(load, options, `${options.compareDist}/main.js`);
      entry.compare = compare;
      rows.push({
        part: '7',
        measure: '  … --compare-dist relay under the same load',
        value: describeOutcome(compare),
        target: '',
        pass: null,
      });
    }
    report[load.name] = entry;
  }
  return { report: { hostile: report }, rows, badAnswers };
}
