import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { RedisConnection } from '../../src/qualys/limits/redis-connection.js';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';
import { eventually } from './timing.js';

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
