/**
 * Real processes for the benchmark and the soak run: the Qualys simulator,
 * the relay and the bare baseline server, each a `node` child on loopback.
 * Every child is registered in a `ProcessGroup`, which stops them all at the
 * end — on success, on failure, on Ctrl-C, and (SIGKILL) on a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../tools/lib/free-port.js';
import {
  startRelayProcess,
  type RelayProcess as SharedRelayProcess,
} from '../../tools/lib/relay-process.js';

/**
 * The repository root: the first folder above this file with our package.json
 * and the lockfile (build/ holds a copy of package.json only).
 */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from, i = 0; i < 10; dir = dirname(dir), i++) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      existsSync(join(dir, 'package-lock.json')) &&
      /"name":\s*"qualys-ioc-relay"/.test(readFileSync(manifest, 'utf8'))
    ) {
      return dir;
    }
  }
  throw new Error('cannot find the qualys-ioc-relay repository root');
}

/** Where the compiled bench scripts live (scripts/build-tools.mjs). */
export const BENCH_DIST = join(ROOT, 'build', 'bench');

const OUTPUT_TAIL_BYTES = 16 * 1024;
const STOP_GRACE_MS = 5_000;

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last few KiB of its stdout and stderr, for error reports. */
  output(): string;
  /** Whether it has exited. */
  readonly exited: boolean;
}

/** Children started by this run; `stopAll` ends every one of them. */
export class ProcessGroup {
  private readonly children: Child[] = [];
  private readonly onExit = (): void => {
    // Last resort when the bench itself dies: nothing may outlive it.
    for (const child of this.children) if (!child.exited) child.process.kill('SIGKILL');
  };
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping child processes…\n`);
    void this.stopAll().finally(() => process.exit(130));
  };

  constructor() {
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /**
   * Starts `node <args>` (or `command <args>`) in the repository root;
   * `onLine` sees each stdout line.
   */
  start(
    name: string,
    args: string[],
    env: Record<string, string>,
    onLine?: (line: string) => void,
    command: string = process.execPath,
  ): Child {
    const proc = spawn(command, args, {
      cwd: ROOT,
      // A clean environment: variables of the caller's shell must not change the figures.
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A command that cannot start emits 'error' after this returns: never an uncaught one.
    proc.once('error', () => undefined);
    if (proc.pid === undefined) throw new Error(`${name} (${command}) did not start`);
    let tail = '';
    let partial = '';
    let exited = false;
    const keep = (chunk: Buffer): void => {
      tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
    };
    proc.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (onLine === undefined) return;
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    proc.stderr?.on('data', keep);
    proc.once('exit', () => {
      exited = true;
    });
    const child: Child = {
      name,
      pid: proc.pid,
      process: proc,
      output: () => tail,
      get exited() {
        return exited;
      },
    };
    this.children.push(child);
    return child;
  }

  /** A relay started by tools/lib/relay-process.ts, stopped with the group's children. */
  adopt(relay: SharedRelayProcess): Child {
    const child: Child = {
      name: relay.name,
      pid: relay.pid,
      process: relay.process,
      output: () => relay.output(),
      get exited() {
        return relay.process.exitCode !== null || relay.process.signalCode !== null;
      },
    };
    this.children.push(child);
    return child;
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves when every child has exited. */
  async stopAll(): Promise<void> {
    await Promise.all(this.children.map((child) => stop(child)));
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

async function stop(child: Child): Promise<void> {
  if (child.exited) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Rejects when `child` exits before `promise` settles, with its output. */
function unlessExited<T>(child: Child, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`${child.name} exited (${code}) while starting:\n${child.output()}`));
    child.process.once('exit', onExit);
    promise.then(
      (value) => {
        child.process.off('exit', onExit);
        resolve(value);
      },
      (error: unknown) => {
        child.process.off('exit', onExit);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function withTimeout<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts a child that prints a JSON "ready" line carrying its `url`, and waits for it. */
function startWithReadyLine(
  group: ProcessGroup,
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ child: Child; url: string }> {
  let resolveUrl: (url: string) => void = () => undefined;
  const ready = new Promise<string>((resolve) => {
    resolveUrl = resolve;
  });
  const child = group.start(name, args, env, (line) => {
    try {
      const parsed = JSON.parse(line) as { url?: unknown };
      if (typeof parsed.url === 'string') resolveUrl(parsed.url);
    } catch {
      // not the ready line
    }
  });
  return withTimeout(`${name} start`, 20_000, unlessExited(child, ready)).then((url) => ({
    child,
    url,
  }));
}

export interface SimulatorProcess {
  child: Child;
  url: string;
}

export function startSimulator(
  group: ProcessGroup,
  options: {
    latencyMs: number;
    faultRate?: number;
    seed?: number;
    concurrencyLimit?: number;
    eventsPerSearch?: number;
  },
): Promise<SimulatorProcess> {
  const args = ['build/tools/simulator/main.js', '--host', '127.0.0.1', '--port', '0'];
  args.push('--latency', String(options.latencyMs));
  if (options.eventsPerSearch !== undefined)
    args.push('--events-per-search', String(options.eventsPerSearch));
  if (options.faultRate !== undefined) args.push('--fault-rate', String(options.faultRate));
  if (options.concurrencyLimit !== undefined)
    args.push('--concurrency-limit', String(options.concurrencyLimit));
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  return startWithReadyLine(group, 'simulator', args, {});
}

export interface BaselineProcess {
  child: Child;
  url: string;
}

/** The bare `node:http` server the relay is compared with (bench/baseline-server.ts). */
export function startBaseline(
  group: ProcessGroup,
  options: { apiUrl: string; user: string; password: string; maxSockets: number },
): Promise<BaselineProcess> {
  const args = [join(BENCH_DIST, 'baseline-server.js'), '--api-url', options.apiUrl];
  args.push('--max-sockets', String(options.maxSockets));
  // Credentials through the environment, not argv (visible in `ps`), as a habit.
  return startWithReadyLine(group, 'baseline', args, {
    BASELINE_USER: options.user,
    BASELINE_PASSWORD: options.password,
  });
}

export interface RelayProcess {
  child: Child;
  url: string;
}

/** `node dist/main.js` with the issue #6 environment, ready when `POST /version` answers. */
export async function startRelay(
  group: ProcessGroup,
  options: {
    simulatorUrl: string;
    jwtSecret: string;
    env?: Record<string, string>;
    /** Sees each line the relay writes to stdout (its pino log). */
    onLogLine?: (line: string) => void;
    /** Another build's entry point (e.g. `/tmp/relay-before/dist/main.js`); default this one's. */
    main?: string;
    name?: string;
  },
): Promise<RelayProcess> {
  const port = await freePort();
  const relay = await startRelayProcess({
    cwd: ROOT,
    main: options.main,
    name: options.name,
    env: {
      AUTH_MODE: 'secret',
      JWT_SECRET: options.jwtSecret,
      QUALYS_ALLOW_INSECURE: 'true',
      QUALYS_API_URL: options.simulatorUrl,
      QUALYS_PLATFORM_URL: options.simulatorUrl,
      LOG_LEVEL: 'warn',
      PORT: String(port),
      ...options.env,
    },
    onLogLine: options.onLogLine,
    keepLogs: false,
  });
  return { child: group.adopt(relay), url: relay.url };
}

export interface MemorySample {
  /** Resident set size now, KiB. */
  rssKiB: number;
  /** Peak resident set size since the process started (VmHWM), KiB; 0 when unknown. */
  hwmKiB: number;
}

/** Reads /proc/<pid>/status (Linux); elsewhere `ps -o rss=` without a peak. */
export async function memoryOf(pid: number): Promise<MemorySample> {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
  } catch {
    const ps = spawn('ps', ['-o', 'rss=', '-p', String(pid)]);
    let text = '';
    ps.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await new Promise((resolve) => ps.once('close', resolve));
    return { rssKiB: Number(text.trim()) || 0, hwmKiB: 0 };
  }
}

/** Samples a process's memory every `intervalMs` until stopped; keeps the peak. */
export class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  readonly samples: { atMs: number; rssKiB: number }[] = [];
  peakRssKiB = 0;
  private readonly started = performance.now();

  constructor(
    private readonly pid: number,
    private readonly intervalMs: number,
  ) {}

  start(): this {
    const tick = (): void => {
      void memoryOf(this.pid).then(({ rssKiB }) => {
        if (rssKiB > 0) {
          this.samples.push({ atMs: performance.now() - this.started, rssKiB });
          this.peakRssKiB = Math.max(this.peakRssKiB, rssKiB);
        }
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
    return this;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
