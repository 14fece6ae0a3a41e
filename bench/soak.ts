/**
 * `npm run soak -- --minutes N` (issue #6): sustained load against the relay
 * and the simulator as real processes, with random Qualys faults (429, 503,
 * 500 on a share of searches). Every answer is checked: JSON, and either the
 * spec §7 envelope or valid data (CTIM-validated for /observe). Prints the
 * requests, the errors by code and the relay's RSS at start, after warm-up
 * and at the end.
 *
 * Exits non-zero when any answer is not a JSON envelope or valid data, when a
 * request got no answer, when the relay dies, or when its RSS grew by more
 * than --max-growth (default 20%) between the end of warm-up and the end.
 *
 *   npm run soak -- [--minutes 1] [--fault-rate 0.05] [--connections 8]
 *                   [--latency 10] [--seed 1] [--max-growth 20]
 *
 * Warm-up is the first quarter of the run, at least 30 s and at most 2 min:
 * the heap settles then. The RSS figures compared are medians of the samples (one a
 * second) in the five seconds after warm-up and in the last five seconds, so
 * one GC's timing does not decide the verdict.
 */
import autocannon from 'autocannon';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  MemorySampler,
  ProcessGroup,
  memoryOf,
  startRelay,
  startSimulator,
} from './lib/processes.js';
import { median, mib } from './lib/stats.js';
import { mintRelayToken } from '../src/cli/relay-token.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { validateObserveResponse } from '../tools/lib/ctim-validator.js';

const { values: given } = parseArgs({
  options: {
    minutes: { type: 'string' },
    'fault-rate': { type: 'string' },
    connections: { type: 'string' },
    latency: { type: 'string' },
    seed: { type: 'string' },
    'max-growth': { type: 'string' },
  },
});
function numberOption(
  name: keyof typeof given,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = given[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    throw new Error(`--${name} must be a number from ${min} to ${max}`);
  }
  return value;
}
const MINUTES = numberOption('minutes', 1, 1, 24 * 60);
const FAULT_RATE = numberOption('fault-rate', 0.05, 0, 1);
const CONNECTIONS = Math.round(numberOption('connections', 8, 1, 256));
const LATENCY_MS = Math.round(numberOption('latency', 10, 0, 10_000));
const SEED = Math.round(numberOption('seed', 1, 0, 2 ** 31));
const MAX_GROWTH = numberOption('max-growth', 20, 0, 1000) / 100;

const DURATION_S = Math.round(MINUTES * 60);
// V8 grows the old generation for the first ~30 s under this load (measured:
// flat from there on over 3 minutes), so warm-up is never shorter than that.
const WARMUP_S = Math.min(120, Math.max(30, Math.round(DURATION_S / 4)));
const WINDOW_S = 5;
/** Hard stop: nothing may run much past the requested duration. */
const HARD_LIMIT_MS = (DURATION_S + 120) * 1000;

const JWT_SECRET = `soak-${createHash('sha256').update(String(process.pid)).digest('hex')}`;
const V = SIMULATOR_VALUES;

type Kind = 'observe' | 'data' | 'envelope';

interface Scenario {
  name: string;
  path: string;
  body: string;
  auth: 'normal' | 'limited' | 'none';
  /** observe: valid /observe data or the envelope; data: `{"data": …}` or the envelope; envelope: only the envelope. */
  expect: Kind;
  /** For `envelope` scenarios: the one acceptable code. */
  code?: string;
}

const json = (value: unknown) => JSON.stringify(value);
const SCENARIOS: Scenario[] = [
  {
    name: 'observe hits',
    path: '/observe/observables',
    body: json([
      { type: 'md5', value: V.md5 },
      { type: 'ip', value: V.ip },
      { type: 'mutex', value: V.mutex },
    ]),
    auth: 'normal',
    expect: 'observe',
  },
  {
    name: 'observe noisy (limit)',
    path: '/observe/observables',
    body: json([{ type: 'sha256', value: V.noisySha256 }]),
    auth: 'normal',
    expect: 'observe',
  },
  {
    name: 'observe, token limit 5',
    path: '/observe/observables',
    body: json([
      { type: 'ip', value: V.noisyIp },
      { type: 'file_name', value: V.quotedFileName },
    ]),
    auth: 'limited',
    expect: 'observe',
  },
  {
    name: 'observe misses',
    path: '/observe/observables',
    body: json([
      { type: 'sha256', value: V.unknownSha256 },
      { type: 'ip', value: V.unknownIp },
      { type: 'url', value: 'https://skipped.example' },
    ]),
    auth: 'normal',
    expect: 'observe',
  },
  {
    name: 'refer',
    path: '/refer/observables',
    body: json([
      { type: 'domain', value: V.domain },
      { type: 'file_path', value: V.filePath },
    ]),
    auth: 'normal',
    expect: 'data',
  },
  { name: 'health', path: '/health', body: '', auth: 'normal', expect: 'data' },
  {
    name: 'deliberate',
    path: '/deliberate/observables',
    body: '[]',
    auth: 'normal',
    expect: 'data',
  },
  {
    name: 'malformed body',
    path: '/observe/observables',
    body: '[{"type": "ip", ',
    auth: 'normal',
    expect: 'envelope',
    code: 'invalid argument',
  },
  {
    name: 'no JWT',
    path: '/observe/observables',
    body: json([{ type: 'md5', value: V.md5 }]),
    auth: 'none',
    expect: 'envelope',
    code: 'authorization error',
  },
];

interface Tally {
  responses: number;
  byStatus: Map<number, number>;
  byCode: Map<string, number>;
  invalid: { scenario: string; problem: string }[];
  invalidCount: number;
}
const tally: Tally = {
  responses: 0,
  byStatus: new Map(),
  byCode: new Map(),
  invalid: [],
  invalidCount: 0,
};
const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

function problemOf(scenario: Scenario, status: number, text: string): string | undefined {
  if (status !== 200) return `HTTP ${status}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not a JSON object';
  const record = body as { data?: unknown; errors?: unknown };
  if (record.errors !== undefined) {
    const errors = record.errors;
    const valid =
      Array.isArray(errors) &&
      errors.length > 0 &&
      errors.every((e: unknown) => {
        const item = e as { type?: unknown; code?: unknown; message?: unknown };
        return (
          item.type === 'fatal' && typeof item.code === 'string' && typeof item.message === 'string'
        );
      });
    if (!valid) return 'malformed envelope';
    for (const item of errors as { code: string }[]) bump(tally.byCode, item.code);
    if (
      scenario.code !== undefined &&
      !(errors as { code: string }[]).every((e) => e.code === scenario.code)
    ) {
      return `expected code ${scenario.code}`;
    }
  }
  if (scenario.expect === 'envelope')
    return record.errors === undefined ? 'expected the envelope' : undefined;
  if (scenario.expect === 'observe') {
    if (record.data === undefined)
      return record.errors === undefined ? 'neither data nor errors' : undefined;
    const problems = validateObserveResponse(body);
    return problems.length > 0 ? `invalid CTIM: ${problems.slice(0, 3).join('; ')}` : undefined;
  }
  return record.data === undefined && record.errors === undefined
    ? 'neither data nor errors'
    : undefined;
}

function record(scenario: Scenario, status: number, text: string): void {
  tally.responses++;
  bump(tally.byStatus, status);
  const problem = problemOf(scenario, status, text);
  if (problem !== undefined) {
    tally.invalidCount++;
    if (tally.invalid.length < 10)
      tally.invalid.push({ scenario: scenario.name, problem: `${problem}: ${text.slice(0, 200)}` });
  }
}

function log(text: string): void {
  process.stdout.write(`${text}\n`);
}

const group = new ProcessGroup();
let exitCode = 1;
const hardStop = setTimeout(() => {
  process.stderr.write(`soak: still running after ${HARD_LIMIT_MS / 1000} s, stopping\n`);
  void group.stopAll().finally(() => process.exit(2));
}, HARD_LIMIT_MS);
hardStop.unref();

try {
  log(
    `soak: ${MINUTES} min (${DURATION_S} s, warm-up ${WARMUP_S} s), ${CONNECTIONS} connections, fault rate ${FAULT_RATE}, latency ${LATENCY_MS} ms, seed ${SEED}`,
  );
  const simulator = await startSimulator(group, {
    latencyMs: LATENCY_MS,
    faultRate: FAULT_RATE,
    seed: SEED,
  });
  let relayErrorLogs = 0;
  const relay = await startRelay(group, {
    simulatorUrl: simulator.url,
    jwtSecret: JWT_SECRET,
    // Every request does its Qualys calls (no cache, no subscription queue):
    // the soak is about the relay under sustained faults, not the limits.
    env: { QUALYS_SUBSCRIPTION_CONCURRENCY: '64', QUALYS_CACHE_TTL_SEC: '0' },
    onLogLine: (line) => {
      if (/"level":(50|60)/.test(line)) relayErrorLogs++;
    },
  });
  const normal = await mintRelayToken(JWT_SECRET, {
    user: SIMULATOR_USER,
    pass: SIMULATOR_PASSWORD,
  });
  const limited = await mintRelayToken(JWT_SECRET, {
    user: SIMULATOR_USER,
    pass: SIMULATOR_PASSWORD,
    CTR_ENTITIES_LIMIT: 5,
  });
  const startRss = (await memoryOf(relay.child.pid)).rssKiB;
  const sampler = new MemorySampler(relay.child.pid, 1000).start();

  const result = await autocannon({
    url: relay.url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    timeout: 30,
    requests: SCENARIOS.map((scenario) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (scenario.auth !== 'none')
        headers.Authorization = `Bearer ${scenario.auth === 'limited' ? limited : normal}`;
      return {
        method: 'POST' as const,
        path: scenario.path,
        headers,
        body: scenario.body,
        onResponse: (status: number, body: string) => record(scenario, status, body),
      };
    }),
  });
  sampler.stop();
  const alive = !relay.child.exited;

  const samples = sampler.samples;
  const inWindow = (from: number, to: number) =>
    samples.filter((s) => s.atMs >= from * 1000 && s.atMs < to * 1000).map((s) => s.rssKiB);
  const warmSamples = inWindow(WARMUP_S, WARMUP_S + WINDOW_S);
  const endSamples = inWindow(DURATION_S - WINDOW_S, DURATION_S + 1);
  const warmRss = warmSamples.length > 0 ? median(warmSamples) : Number.NaN;
  const endRss = endSamples.length > 0 ? median(endSamples) : Number.NaN;
  const growth = (endRss - warmRss) / warmRss;

  const noAnswer = result.errors + result.timeouts;
  log('');
  log(
    `requests:        ${tally.responses} answered (${(tally.responses / result.duration).toFixed(1)}/s), ${noAnswer} without an answer (errors ${result.errors}, timeouts ${result.timeouts})`,
  );
  log(`HTTP status:     ${[...tally.byStatus].map(([status, n]) => `${status}: ${n}`).join(', ')}`);
  log(
    `errors by code:  ${
      tally.byCode.size === 0
        ? 'none'
        : [...tally.byCode]
            .sort((a, b) => b[1] - a[1])
            .map(([code, n]) => `${code}: ${n}`)
            .join(', ')
    }`,
  );
  log(`invalid answers: ${tally.invalidCount}`);
  for (const { scenario, problem } of tally.invalid) log(`  - ${scenario}: ${problem}`);
  log(`relay error logs: ${relayErrorLogs}`);
  log(
    `relay RSS:       start ${mib(startRss * 1024)} MiB, after warm-up ${mib(warmRss * 1024)} MiB, end ${mib(endRss * 1024)} MiB, peak ${mib(sampler.peakRssKiB * 1024)} MiB`,
  );
  log(
    `RSS growth after warm-up: ${(growth * 100).toFixed(1)}% (limit ${(MAX_GROWTH * 100).toFixed(0)}%)`,
  );
  log(`relay process:   ${alive ? 'up' : 'DIED'}`);

  const failures = [
    tally.invalidCount > 0 ? `${tally.invalidCount} invalid answers` : '',
    noAnswer > 0 ? `${noAnswer} requests without an answer` : '',
    !alive ? 'the relay died' : '',
    !(growth <= MAX_GROWTH) ? `RSS grew ${(growth * 100).toFixed(1)}% after warm-up` : '',
    tally.responses === 0 ? 'no answers at all' : '',
  ].filter((failure) => failure !== '');
  log(failures.length === 0 ? '\nsoak: PASS' : `\nsoak: FAIL — ${failures.join('; ')}`);
  if (!alive) log(relay.child.output());
  exitCode = failures.length === 0 ? 0 : 1;
} catch (error) {
  process.stderr.write(
    `soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
} finally {
  clearTimeout(hardStop);
  await group.stopAll();
}
process.exitCode = exitCode;
