import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import { startRedisServer, type RedisServerHandle } from '../tools/lib/redis-server.js';
import { eventually } from './support/timing.js';
import { RedisConnection } from '../src/qualys/limits/redis-connection.js';

const PASSWORD = 'redis-pass-Zq81';

const logged: Array<{ level: string; message: string; context: unknown }> = [];
const capture: LoggerService = {
  log: (message: unknown, context?: unknown) =>
    logged.push({ level: 'log', message: String(message), context }),
  warn: (message: unknown, context?: unknown) =>
    logged.push({ level: 'warn', message: String(message), context }),
  error: (message: unknown, context?: unknown) =>
    logged.push({ level: 'error', message: String(message), context }),
};
const messages = (): string[] => logged.map((entry) => `${entry.level}: ${entry.message}`);

describe('RedisConnection against a real redis-server', () => {
  let server: RedisServerHandle;
  const open: RedisConnection[] = [];

  /** A connection closed after the test, whatever happens. */
  function connection(url = server.url): RedisConnection {
    const made = new RedisConnection({ kind: 'server', url });
    open.push(made);
    return made;
  }

  beforeAll(async () => {
    Logger.overrideLogger(capture);
    server = await startRedisServer({ password: PASSWORD });
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    logged.length = 0;
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((made) => made.close()));
  });

  it('connects both connections and logs the host only, never the password', async () => {
    const redis = connection();
    expect(await redis.connect()).toBe(true);
    expect(redis.up).toBe(true);
    expect(await redis.client.set('k', 'v')).toBe('OK');
    expect(await eventually(() => redis.subscriber.status === 'ready')).toBe(true);
    expect(messages()).toEqual([
      `log: Sharing limits and cache through Redis at 127.0.0.1:${server.port}`,
    ]);
    expect(logged.every((entry) => entry.context === 'Redis')).toBe(true);
  });

  it('starts with Redis down without throwing, warns once, and comes up when Redis does', async () => {
    await server.stop();
    const redis = connection();
    const changes: boolean[] = [];
    redis.onStateChange((up) => changes.push(up));
    expect(await redis.connect()).toBe(false);
    expect(redis.up).toBe(false);
    await expect(redis.client.get('k')).rejects.toThrow(/enableOfflineQueue/);

    await server.start();
    expect(await eventually(() => redis.up)).toBe(true);
    expect(changes).toEqual([true]);
    expect(messages()).toEqual([
      `log: Sharing limits and cache through Redis at 127.0.0.1:${server.port}`,
      `warn: Redis unreachable; falling back to per-process limits and cache (Redis at 127.0.0.1:${server.port})`,
      `log: Redis at 127.0.0.1:${server.port} is reachable again; limits and cache are shared again`,
    ]);
  });

  it('goes down when the server dies (one warning however long) and up again when it is back', async () => {
    const redis = connection();
    await redis.connect();
    const changes: boolean[] = [];
    redis.onStateChange((up) => changes.push(up));
    logged.length = 0;

    await server.stop();
    expect(await eventually(() => !redis.up)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // several reconnect attempts fail meanwhile
    await server.start();
    expect(await eventually(() => redis.up)).toBe(true);
    expect(changes).toEqual([false, true]);
    expect(messages()).toEqual([
      `warn: Redis unreachable; falling back to per-process limits and cache (Redis at 127.0.0.1:${server.port})`,
      `log: Redis at 127.0.0.1:${server.port} is reachable again; limits and cache are shared again`,
    ]);
  });

  it('counts a command timeout on an open connection as down, and comes back after a reconnect', async () => {
    const redis = connection();
    await redis.connect();
    server.pause();
    try {
      const failure = await redis.client.get('k').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(String(failure)).toBe('Error: Command timed out');
      redis.commandFailed(failure);
      expect(redis.up).toBe(false);
    } finally {
      server.resume();
    }
    expect(await eventually(() => redis.up)).toBe(true);
    expect(await redis.client.get('k')).toBe(null);
  });

  it('logs a reply error (Redis said no) without counting Redis as down', async () => {
    const redis = connection();
    await redis.connect();
    await redis.client.set('a-string', 'x');
    const failure = await redis.client.zadd('a-string', 1, 'm').then(
      () => undefined,
      (error: unknown) => error,
    );
    redis.commandFailed(failure);
    redis.commandFailed(failure); // once a minute at most
    expect(redis.up).toBe(true);
    expect(messages().slice(1)).toEqual([
      'error: Redis refused a command (WRONGTYPE); answering from this process',
    ]);
  });

  it('warns at start-up about a non-loopback Redis without a password, naming the host only', async () => {
    const redis = connection('redis://user@192.0.2.10:6390/1');
    const connecting = redis.connect();
    await redis.close();
    expect(await connecting).toBe(false);
    expect(messages().slice(0, 2)).toEqual([
      'log: Sharing limits and cache through Redis at 192.0.2.10:6390',
      "warn: REDIS_URL names 192.0.2.10:6390, not this host, without a password: whoever reaches it can read and change the relay's limits",
    ]);
  });
});

describe('RedisConnection over TLS (rediss://)', () => {
  let server: RedisServerHandle;

  beforeAll(async () => {
    server = await startRedisServer({ tls: true });
  });

  afterAll(async () => {
    await server.close();
  });

  it('verifies the server against the trusted CA and works', async () => {
    expect(server.url).toBe(`rediss://127.0.0.1:${server.port}`);
    const redis = new RedisConnection({ kind: 'server', url: server.url });
    try {
      expect(await redis.connect()).toBe(true);
      expect(await redis.client.ping()).toBe('PONG');
    } finally {
      await redis.close();
    }
  });
});
