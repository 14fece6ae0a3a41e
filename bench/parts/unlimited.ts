/**
 * Parts 1, 2 and 4 of `npm run bench` share their processes: the simulator,
 * the relay (and the --compare-dist relay) and the bare baseline, on the
 * unlimited path: QUALYS_SUBSCRIPTION_CONCURRENCY = QUALYS_CONCURRENCY =
 * --concurrency and no cache, so every request makes all its Qualys calls, as
 * before the per-subscription scheduler (issue #9). Every process it starts is
 * stopped before it returns.
 */
import { join } from 'node:path';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../../tools/simulator/qualys-simulator.js';
import { ProcessGroup, startBaseline, startRelay, startSimulator } from '../lib/processes.js';
import { progress, type PartResult } from '../lib/report.js';
import { measureLatency } from './latency.js';
import { measureThroughput } from './throughput.js';

export interface UnlimitedOptions {
  /** Part 1 runs. */
  latency: boolean;
  /** Parts 2 and 4 run (4, memory, is measured during 2). */
  throughput: boolean;
  jwtSecret: string;
  token: string;
  /** Environment both relays get on top of the unlimited path's (NODE_OPTIONS). */
  relayEnv: Record<string, string>;
  /** Another build's dist/ to run beside this relay; '' for none. */
  compareDist: string;
  /** Variables for the --compare-dist relay only. */
  compareEnv: Record<string, string>;
  /** Part 1's simulator latency (L), ms. */
  latencyMs: number;
  runs: number;
  warmupRequests: number;
  concurrency: number;
  /** Part 2's simulator latency, ms. */
  throughputLatencyMs: number;
  connections: number;
  observablesPerRequest: number;
  rounds: number;
  secondsPerRound: number;
}

export async function measureUnlimited(options: UnlimitedOptions): Promise<PartResult> {
  const relayEnv = {
    QUALYS_CONCURRENCY: String(options.concurrency),
    QUALYS_SUBSCRIPTION_CONCURRENCY: String(options.concurrency),
    QUALYS_CACHE_TTL_SEC: '0',
    ...options.relayEnv,
  };
  const result: PartResult = {
    rows: [],
    report: { unlimitedRelayEnvironment: relayEnv },
    badAnswers: 0,
  };
  const add = (part: PartResult): void => {
    result.rows.push(...part.rows);
    Object.assign(result.report, part.report);
    result.badAnswers += part.badAnswers;
  };
  const group = new ProcessGroup();
  try {
    progress(
      `starting the simulator, the relay${options.compareDist === '' ? '' : `, the relay of ${options.compareDist}`} and the baseline`,
    );
    const simulator = await startSimulator(group, { latencyMs: options.latencyMs });
    const relay = await startRelay(group, {
      simulatorUrl: simulator.url,
      jwtSecret: options.jwtSecret,
      env: relayEnv,
    });
    const compare =
      options.compareDist === ''
        ? undefined
        : await startRelay(group, {
            simulatorUrl: simulator.url,
            jwtSecret: options.jwtSecret,
            env: { ...relayEnv, ...options.compareEnv },
            main: join(options.compareDist, 'main.js'),
            name: 'compare-dist relay',
          });
    const baseline = await startBaseline(group, {
      apiUrl: simulator.url,
      user: SIMULATOR_USER,
      password: SIMULATOR_PASSWORD,
      maxSockets: options.concurrency,
    });

    if (options.latency)
      add(
        await measureLatency({
          relay,
          compare,
          compareDist: options.compareDist,
          baselineUrl: baseline.url,
          token: options.token,
          latencyMs: options.latencyMs,
          runs: options.runs,
          warmupRequests: options.warmupRequests,
          concurrency: options.concurrency,
        }),
      );
    if (options.throughput)
      add(
        await measureThroughput({
          relay,
          compare,
          compareDist: options.compareDist,
          baseline,
          simulatorUrl: simulator.url,
          jwtSecret: options.jwtSecret,
          latencyMs: options.throughputLatencyMs,
          connections: options.connections,
          observablesPerRequest: options.observablesPerRequest,
          rounds: options.rounds,
          secondsPerRound: options.secondsPerRound,
          concurrency: options.concurrency,
        }),
      );
    for (const process_ of [relay, compare])
      if (process_?.child.exited)
        throw new Error(
          `${process_.child.name} died during the benchmark:\n${process_.child.output()}`,
        );
  } finally {
    await group.stopAll();
  }
  return result;
}
