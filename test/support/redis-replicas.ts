import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { RedisConnection } from '../../src/qualys/limits/redis-connection.js';
import { startRedisServer, type RedisServerHandle } from '../../tools/lib/redis-server.js';
import { eventually, sleep } from './timing.js';

/** A real redis-server and two replicas' connections to it. */
export interface RedisReplicas {
  server: RedisServerHandle;
  connA: RedisConnection;
  connB: RedisConnection;
}

/**
 * Registers, in the calling `describe`, a redis-server with two replicas'
 * connections (subscribers ready) for all its tests, flushed before each
 * one and closed after the last. The fields are set once `beforeAll` ran.
 */
export function twoReplicas(): RedisReplicas {
  const replicas = {} as RedisReplicas;
  beforeAll(async () => {
    Logger.overrideLogger(false);
    replicas.server = await startRedisServer();
    replicas.connA = new RedisConnection({ kind: 'server', url: replicas.server.url });
    replicas.connB = new RedisConnection({ kind: 'server', url: replicas.server.url });
    await Promise.all([replicas.connA.connect(), replicas.connB.connect()]);
    await eventually(
      () =>
        replicas.connA.subscriber.status === 'ready' &&
        replicas.connB.subscriber.status === 'ready',
    );
  });
  afterAll(async () => {
    await Promise.all([replicas.connA.close(), replicas.connB.close()]);
    await replicas.server.close();
  });
  beforeEach(async () => {
    await replicas.connA.client.flushall();
  });
  return replicas;
}

/** Subscribers of `channel`, as Redis counts them. */
export async function subscribers(replicas: RedisReplicas, channel: string): Promise<number> {
  const reply = (await replicas.connA.client.pubsub('NUMSUB', channel)) as [string, number];
  return reply[1];
}

/** Polls `read` until it returns `expected` (or 2 s pass); returns the last value read. */
export async function pollUntil<T>(read: () => Promise<T>, expected: T): Promise<T> {
  const end = Date.now() + 2000;
  let value = await read();
  while (value !== expected && Date.now() < end) {
    await sleep(10);
    value = await read();
  }
  return value;
}
