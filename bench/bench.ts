/**
 * `npm run bench` (issue #6): the relay measured as real processes on
 * loopback, against the floors the design allows. Every figure is a ratio to a
 * floor or to a baseline measured in the same run, so it holds on a noisy or
 * shared machine. Prints a table and writes bench/results/latest.json.
 *
 *   npm run bench -- [--latency 50] [--runs 21] [--warmup 100] [--duration 10] [--rounds 3]
 *                    [--connections 32] [--observables 5] [--throughput-latency 20]
 *                    [--concurrency 64] [--mapping-seconds 3] [--parts 1,2,3,4,5,6,7,8]
 *                    [--limited-runs 5] [--limited-repeats 20] [--calls-runs 3]
 *                    [--compare-dist /tmp/relay-before/dist] [--compare-env 'K=V;K2=V2']
 *                    [--limited-redis-env 'REDIS_CLUSTER_NODES=127.0.0.1:7000']
 *                    [--node-options=--max-old-space-size=128]
 *                    [--real-install] [--strict]
 *
 * Parts 1, 2 and 4 measure the unlimited path: the relay runs with
 * QUALYS_SUBSCRIPTION_CONCURRENCY = QUALYS_CONCURRENCY = --concurrency and
 * QUALYS_CACHE_TTL_SEC=0, so every request makes all its Qualys calls. Part 6
 * is a subscription limited to 2 concurrent calls (bench/parts/limited-subscription.ts).
 * Part 7 is hostile load: peak RSS of a fresh relay under loads that exhausted
 * the heap before (bench/parts/hostile-load.ts). Part 8 counts the Qualys
 * calls of three investigations with batched searches on and off and in the
 * original relay's one-at-a-time pattern (bench/parts/calls-per-investigation.ts).
 * --compare-dist starts a second relay from another build's dist/ (e.g. the
 * commit before a change) with the same environment, and runs it in (1) and
 * in every round of (2), interleaved with this one, and under the loads of
 * (7); --compare-env adds
 * variables to that relay only (`--compare-dist dist --compare-env
 * OTEL_EXPORTER_OTLP_ENDPOINT=…` measures tracing on against off).
 * --limited-redis-env points part 6's two replicas at a Redis started
 * beforehand (a Sentinel set, a Cluster) instead of a redis-server of its own.
 *
 * Each part is a function in bench/parts/ that returns its rows and figures;
 * this file parses the flags, runs the parts asked for in order, prints the
 * table and writes the JSON.
 *
 * --real-install also runs `npm ci --omit=dev` in a temporary folder (needs
 * the registry); --strict exits 1 when a target is missed. Broken responses
 * always exit 1.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mintRelayToken } from '../src/cli/relay-token.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { ProcessGroup, ROOT } from './lib/processes.js';
import { formatTable, progress, type PartResult, type Row } from './lib/report.js';
import { round } from './lib/stats.js';
import { measureCallsPerInvestigation } from './parts/calls-per-investigation.js';
import { measureCacheAndFairShare } from './parts/hostile-cache-fairness.js';
import { measureHostile } from './parts/hostile-load.js';
import { measureLimited } from './parts/limited-subscription.js';
import { measureMapping } from './parts/mapping.js';
import { supplyChainPart } from './parts/supply-chain.js';
import { measureUnlimited } from './parts/unlimited.js';

const USAGE = `Usage: npm run bench -- [options]
  --parts <list>          parts to run, comma-separated (default 1,2,3,4,5,6,7,8):
                            1 latency, 2 throughput, 3 mapping cost, 4 memory (during 2),
                            5 supply chain, 6 a limited subscription, 7 hostile load,
                            8 calls per investigation (batched searches on, off, sequential)
  --latency <ms>          part 1's simulator latency (default 50)
  --runs <n>              part 1's measured requests per size (default 21)
  --warmup <n>            warm-up requests (default 100)
  --duration <s>          seconds per throughput round (default 10)
  --rounds <n>            throughput rounds (default 3)
  --connections <n>       throughput connections (default 32)
  --observables <n>       observables per throughput request (default 5)
  --throughput-latency <ms>
                          part 2's simulator latency (default 20)
  --concurrency <n>       the unlimited path's QUALYS_CONCURRENCY (default 64)
  --mapping-seconds <s>   part 3's duration (default 3)
  --limited-runs <n>      part 6's measured runs (default 5)
  --limited-repeats <n>   part 6's repeats per run (default 20)
  --limited-redis-env 'K=V;…'
                          part 6's replicas use this Redis instead of their own
  --calls-runs <n>        part 8's measured rounds, after one warm-up (default 3)
  --compare-dist <dir>    another build's dist/, run beside this relay in parts 1, 2 and 7
  --compare-env 'K=V;…'   variables for the --compare-dist relay only
  --node-options=<flags>  the relay's NODE_OPTIONS (default the Dockerfile's)
  --real-install          also run npm ci --omit=dev in a temporary folder (part 5)
  --strict                exit 1 when a target is missed
  --help                  print this help
`;

const OPTION_DEFAULTS = {
  latency: '50',
  runs: '21',
  duration: '10',
  rounds: '3',
  connections: '32',
  observables: '5',
  'throughput-latency': '20',
  concurrency: '64',
  'mapping-seconds': '3',
  warmup: '100',
  parts: '1,2,3,4,5,6,7,8',
  'limited-runs': '5',
  'limited-repeats': '20',
  'calls-runs': '3',
  'compare-dist': '',
  'compare-env': '',
  'limited-redis-env': '',
  // The relay runs as the image runs it (Dockerfile `ENV NODE_OPTIONS`); `--node-options=` for none.
  'node-options':
    /^ENV NODE_OPTIONS=(.*)$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1] ?? '',
};
type OptionName = keyof typeof OPTION_DEFAULTS;
const { values: given } = parseArgs({
  options: {
    ...(Object.fromEntries(
      Object.keys(OPTION_DEFAULTS).map((name) => [name, { type: 'string' }]),
    ) as Record<OptionName, { type: 'string' }>),
    'real-install': { type: 'boolean' },
    strict: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (given.help === true) {
  process.stdout.write(USAGE);
  process.exit(0);
}
// Defaults applied here: this @types/node version does not narrow parseArgs defaults.
const option = (name: OptionName): string => given[name] ?? OPTION_DEFAULTS[name];
const REAL_INSTALL = given['real-install'] ?? false;
const STRICT = given.strict ?? false;
const positive = (name: OptionName): number => {
  const value = Number(option(name));
  if (!(Number.isInteger(value) && value > 0))
    throw new Error(`--${name} must be a positive integer`);
  return value;
};
/** Which parts to run (4, memory, is measured during 2). */
const PARTS = new Set(
  option('parts')
    .split(',')
    .map((part) => part.trim()),
);
/** NODE_OPTIONS for the relay process; by default the image's (Dockerfile `ENV NODE_OPTIONS`). */
const RELAY_NODE_OPTIONS = option('node-options');
const L = positive('latency');
const RUNS = positive('runs');
const DURATION_S = positive('duration');
const ROUNDS = positive('rounds');
const CONNECTIONS = positive('connections');
const OBSERVABLES_PER_REQUEST = positive('observables');
const THROUGHPUT_L = positive('throughput-latency');
const CONCURRENCY = positive('concurrency');
const MAPPING_SECONDS = positive('mapping-seconds');
const WARMUP_REQUESTS = positive('warmup');
const LIMITED_RUNS = positive('limited-runs');
const LIMITED_REPEATS = positive('limited-repeats');
const CALLS_RUNS = positive('calls-runs');
/** Another build's dist/ to compare this relay with in (1) and (2); '' for none. */
const COMPARE_DIST = option('compare-dist') === '' ? '' : resolve(option('compare-dist'));
if (COMPARE_DIST !== '' && !existsSync(join(COMPARE_DIST, 'main.js')))
  throw new Error(`--compare-dist: ${join(COMPARE_DIST, 'main.js')} does not exist`);
/** `K=V;K2=V2` (values may hold commas, as host lists do). */
const envOption = (name: OptionName): Record<string, string> =>
  Object.fromEntries(
    option(name)
      .split(';')
      .filter((pair) => pair.includes('='))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
const COMPARE_ENV = envOption('compare-env');
const LIMITED_REDIS_ENV = envOption('limited-redis-env');
// Bench-only secret: the relay runs on loopback for the length of this run.
const JWT_SECRET = `bench-${createHash('sha256').update(String(process.pid)).digest('hex')}`;
const nodeOptions: Record<string, string> =
  RELAY_NODE_OPTIONS === '' ? {} : { NODE_OPTIONS: RELAY_NODE_OPTIONS };

/** The parts asked for, in the order they run; each starts and stops its own processes. */
function plan(token: string, group: ProcessGroup): (() => Promise<PartResult>)[] {
  const steps: (() => Promise<PartResult>)[] = [];
  if (PARTS.has('1') || PARTS.has('2') || PARTS.has('4'))
    steps.push(() =>
      measureUnlimited({
        latency: PARTS.has('1'),
        throughput: PARTS.has('2') || PARTS.has('4'),
        jwtSecret: JWT_SECRET,
        token,
        relayEnv: nodeOptions,
        compareDist: COMPARE_DIST,
        compareEnv: COMPARE_ENV,
        latencyMs: L,
        runs: RUNS,
        warmupRequests: WARMUP_REQUESTS,
        concurrency: CONCURRENCY,
        throughputLatencyMs: THROUGHPUT_L,
        connections: CONNECTIONS,
        observablesPerRequest: OBSERVABLES_PER_REQUEST,
        rounds: ROUNDS,
        secondsPerRound: DURATION_S,
      }),
    );
  if (PARTS.has('6'))
    steps.push(() =>
      measureLimited({
        runs: LIMITED_RUNS,
        repeats: LIMITED_REPEATS,
        warmupRepeats: WARMUP_REQUESTS,
        jwtSecret: JWT_SECRET,
        token,
        relayEnv: nodeOptions,
        ...(Object.keys(LIMITED_REDIS_ENV).length === 0 ? {} : { redisEnv: LIMITED_REDIS_ENV }),
        progress,
      }),
    );
  if (PARTS.has('7')) {
    steps.push(() =>
      measureHostile({
        jwtSecret: JWT_SECRET,
        relayEnv: nodeOptions,
        compareDist: COMPARE_DIST,
        progress,
      }),
    );
    steps.push(() => {
      progress(
        'hostile load: the result cache per 100k entries, another subscription beside a slow one',
      );
      return measureCacheAndFairShare({ progress });
    });
  }
  if (PARTS.has('8'))
    steps.push(() =>
      measureCallsPerInvestigation({
        runs: CALLS_RUNS,
        jwtSecret: JWT_SECRET,
        relayEnv: nodeOptions,
        progress,
      }),
    );
  if (PARTS.has('3'))
    steps.push(() => {
      progress('mapping cost');
      return measureMapping(group, MAPPING_SECONDS);
    });
  if (PARTS.has('5'))
    steps.push(() => {
      progress('supply chain');
      return supplyChainPart(ROOT, { realInstall: REAL_INSTALL });
    });
  return steps;
}

const LOAD_AT_START = loadavg();
const group = new ProcessGroup();
const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  relayNodeOptions: RELAY_NODE_OPTIONS,
  // Other work on the machine lowers the absolute figure (3); ratios hold better.
  loadAverageAtStart: LOAD_AT_START.map((load) => round(load)),
};
const rows: Row[] = [];
let brokenResponses = 0;
let failed = false;
try {
  const token = await mintRelayToken(JWT_SECRET, {
    user: SIMULATOR_USER,
    pass: SIMULATOR_PASSWORD,
  });
  for (const step of plan(token, group)) {
    const part = await step();
    rows.push(...part.rows);
    Object.assign(report, part.report);
    brokenResponses += part.badAnswers;
  }
  report.brokenResponses = brokenResponses;
} catch (error) {
  failed = true;
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
} finally {
  await group.stopAll();
}

report.rows = rows;
if (rows.length > 0) {
  process.stdout.write(
    `\nQualys IOC Relay benchmark — ${String(report.date)}, Node ${process.version}, ${cpus().length} CPUs, load average at start ${LOAD_AT_START[0].toFixed(2)}\n\n`,
  );
  process.stdout.write(formatTable(rows));
  if (brokenResponses > 0)
    process.stdout.write(`\n${brokenResponses} broken or error responses during the run\n`);
}
if (!failed) {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nJSON: bench/results/latest.json\n`);
}
const missed = rows.some((row) => row.pass === false);
process.exitCode = failed || brokenResponses > 0 || (STRICT && missed) ? 1 : 0;
