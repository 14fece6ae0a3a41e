/**
 * A throwaway `redis-server` for the benchmark's replica scenario: loopback,
 * a free port, no persistence, its own temp folder. It runs as a child of a
 * `ProcessGroup`, so the group's `stopAll` (or the bench dying) ends it like
 * every other child; `remove()` deletes its folder afterwards.
 * (test/support/redis-server.ts is the tests' richer handle; the bench needs
 * only start and stop, and no Redis client.)
 */
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, type Child, type ProcessGroup } from './processes.js';

export interface RedisProcess {
  child: Child;
  /** `redis://127.0.0.1:PORT`. */
  url: string;
  /** Removes the server's folder; call after the group stopped it. */
  remove(): void;
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

export async function startRedis(group: ProcessGroup): Promise<RedisProcess> {
  if (!redisServerOnPath()) throw new Error(REDIS_MISSING);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'relay-bench-redis-'));
  const logFile = join(dir, 'redis.log');
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'];
  args.push('--dir', dir, '--logfile', logFile);
  const child = group.start('redis-server', args, {}, undefined, 'redis-server');
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const deadline = performance.now() + 10_000;
    while (!(await pong(port))) {
      if (child.exited || performance.now() > deadline)
        throw new Error(`redis-server on port ${port} never answered PING:\n${logTail(logFile)}`);
      await sleep(20);
    }
  } catch (error) {
    if (!child.exited) {
      const exited = new Promise((resolve) => child.process.once('exit', resolve));
      child.process.kill('SIGKILL');
      await exited;
    }
    remove();
    throw error;
  }
  return { child, url: `redis://127.0.0.1:${port}`, remove };
}

function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n');
  } catch {
    return '(no log)';
  }
}

/** One inline `PING` over a fresh connection: true on `+PONG`. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}
