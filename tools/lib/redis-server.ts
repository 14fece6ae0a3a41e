import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

/**
 * A real `redis-server` on 127.0.0.1, for the specs of the Redis stores
 * (`scripts/ensure-redis.mjs` makes sure it is installed) and the
 * benchmark's replicas: no persistence, its own temp dir, a free port that
 * survives `stop()` / `start()` so a test can take Redis away and bring it
 * back where the relay expects it. A server still running when this process
 * exits is killed with it.
 */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:PORT` (`rediss://`, with the password, per the options). */
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL: a crash, not a clean shutdown) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted). */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, commands time out. */
  pause(): void;
  resume(): void;
  /** Every key, sorted. */
  keys(): Promise<string[]>;
  /** Every key with its raw value(s) as text, for "no plaintext in Redis" assertions. */
  dumpValues(): Promise<Array<{ key: string; type: string; value: string }>>;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

export interface RedisServerOptions {
  /** Serve TLS only (`rediss://`), with the test CA's 127.0.0.1 certificate. */
  tls?: boolean;
  /** `requirepass`. */
  password?: string;
  /** More `redis-server` arguments (`--replicaof`, `--cluster-enabled`, …); `{dir}` is its temp dir. */
  args?: string[];
}

export const REDIS_MISSING =
  'redis-server is not on the PATH: install the Debian package redis-server (npm test does it as root)';

export function redisServerOnPath(): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', 'redis-server'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Servers started by this process and not stopped yet: none outlives it. */
const RUNNING = new Set<ChildProcess>();
process.on('exit', () => {
  for (const server of RUNNING) server.kill('SIGKILL');
});

/** The test CA's certificates (from the sources: the compiled tools never ask for TLS). */
const TLS_DIR = fileURLToPath(new URL('../../test/fixtures/tls/', import.meta.url));

export async function startRedisServer(
  options: RedisServerOptions = {},
): Promise<RedisServerHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'relay-redis-'));
  const logFile = join(dir, 'redis.log');
  const args = [
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--logfile',
    logFile,
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    ...(options.args ?? []).map((arg) => arg.replaceAll('{dir}', dir)),
    ...(options.tls === true
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          join(TLS_DIR, 'server.crt'),
          '--tls-key-file',
          join(TLS_DIR, 'server.key'),
          '--tls-ca-cert-file',
          join(TLS_DIR, 'ca.crt'),
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(port)]),
  ];
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  const url = `${options.tls === true ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  /** A short-lived client per call: nothing stays connected between assertions. */
  async function withClient<T>(use: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined); // connect() rejects with it; no unhandled 'error' event
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.quit();
    }
  }

  async function start(): Promise<void> {
    if (child !== undefined) throw new Error('redis-server is already running');
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    child = started;
    RUNNING.add(started);
    const spawnFailed = once(started, 'error').then(([error]) => {
      throw new Error(`redis-server did not start: ${String(error)}`);
    });
    const exitedEarly = once(started, 'exit').then(() => {
      throw new Error(`redis-server exited at start-up:\n${readLog()}`);
    });
    await Promise.race([waitForPing(), spawnFailed, exitedEarly]);
    // The race's losers stay pending on purpose; silence them once they settle.
    spawnFailed.catch(() => undefined);
    exitedEarly.catch(() => undefined);
  }

  async function waitForPing(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        if ((await withClient((client) => client.ping())) === 'PONG') return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`redis-server never answered PING:\n${readLog()}`, { cause: error });
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  function readLog(): string {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    if (running === undefined) return;
    child = undefined;
    RUNNING.delete(running);
    if (running.exitCode === null && running.signalCode === null) {
      const exited = once(running, 'exit');
      running.kill('SIGCONT'); // a paused server cannot die otherwise
      running.kill('SIGKILL');
      await exited;
    }
  }

  await start();

  return {
    url,
    port,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    keys: () => withClient(async (client) => (await client.keys('*')).sort()),
    dumpValues: () =>
      withClient(async (client) => {
        const dump: Array<{ key: string; type: string; value: string }> = [];
        for (const key of (await client.keys('*')).sort()) {
          const type = await client.type(key);
          let raw: Buffer[];
          if (type === 'string') raw = [(await client.getBuffer(key)) ?? Buffer.alloc(0)];
          else if (type === 'hash') raw = await client.hgetallBuffer(key).then(flattenHash);
          else if (type === 'zset') raw = await client.zrangeBuffer(key, 0, -1, 'WITHSCORES');
          else throw new Error(`unexpected ${type} at ${key}`);
          // latin1 keeps every byte, so a plaintext substring shows up as itself.
          dump.push({ key, type, value: raw.map((bytes) => bytes.toString('latin1')).join(' ') });
        }
        return dump;
      }),
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function flattenHash(hash: Record<string, Buffer>): Buffer[] {
  return Object.entries(hash).flatMap(([field, value]) => [Buffer.from(field), value]);
}
