import { describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { createRedisClient, describeTopology, unprotectedHosts } from './redis-clients.js';

const sentinel = {
  kind: 'sentinel' as const,
  sentinels: [
    { host: 'sentinel-0.redis', port: 26379 },
    { host: 'fd00::7', port: 26380 },
  ],
  masterName: 'mymaster',
  tls: false,
};
const cluster = {
  kind: 'cluster' as const,
  nodes: [
    { host: '10.0.0.1', port: 7000 },
    { host: '127.0.0.1', port: 7001 },
  ],
  tls: false,
};

describe('describeTopology: what logs may show', () => {
  it('names hosts and ports, never a password', () => {
    expect([
      describeTopology({ kind: 'server', url: 'rediss://user:secret@redis.internal:6380/2' }),
      describeTopology({ ...sentinel, password: 'secret', sentinelPassword: 'secret' }),
      describeTopology({ ...cluster, password: 'secret' }),
    ]).toEqual([
      'Redis at redis.internal:6380',
      'Redis primary "mymaster" of the Sentinels at sentinel-0.redis:26379,[fd00::7]:26380',
      'Redis Cluster at 10.0.0.1:7000,127.0.0.1:7001',
    ]);
  });
});

describe('unprotectedHosts: the start-up warning about a Redis without a password', () => {
  it('lists the hosts that are not loopback when no password is set', () => {
    expect([
      unprotectedHosts({ kind: 'server', url: 'redis://192.0.2.10:6390' }),
      unprotectedHosts({ kind: 'server', url: 'redis://:pw@192.0.2.10:6390' }),
      unprotectedHosts({ kind: 'server', url: 'redis://127.0.0.1:6390' }),
      unprotectedHosts(sentinel),
      unprotectedHosts({ ...sentinel, password: 'pw' }),
      unprotectedHosts(cluster),
    ]).toEqual([['192.0.2.10:6390'], [], [], ['sentinel-0.redis', '[fd00::7]'], [], ['10.0.0.1']]);
  });
});

describe('createRedisClient: ioredis’s own client per topology, not connected yet', () => {
  it('asks the Sentinels for the primary, with TLS and passwords where set', () => {
    const client = createRedisClient(
      { ...sentinel, sentinelPassword: 's-pw', username: 'relay', password: 'pw', tls: true },
      'qualys-relay',
    );
    expect(client).toBeInstanceOf(Redis);
    const { options, status } = client as Redis;
    expect({
      status,
      sentinels: options.sentinels,
      name: options.name,
      role: options.role,
      sentinelPassword: options.sentinelPassword,
      username: options.username,
      password: options.password,
      tls: options.tls,
      sentinelTLS: options.sentinelTLS,
      enableTLSForSentinelMode: options.enableTLSForSentinelMode,
      failoverDetector: options.failoverDetector,
      enableOfflineQueue: options.enableOfflineQueue,
      commandTimeout: options.commandTimeout,
      maxRetriesPerRequest: options.maxRetriesPerRequest,
    }).toEqual({
      status: 'wait',
      sentinels: sentinel.sentinels,
      name: 'mymaster',
      role: 'master',
      sentinelPassword: 's-pw',
      username: 'relay',
      password: 'pw',
      tls: {},
      sentinelTLS: {},
      enableTLSForSentinelMode: true,
      failoverDetector: true,
      enableOfflineQueue: false,
      commandTimeout: 500,
      maxRetriesPerRequest: 0,
    });
    client.disconnect();
  });

  it('opens a Cluster client whose node connections fail fast', () => {
    const client = createRedisClient({ ...cluster, password: 'pw' }, 'qualys-relay');
    expect(client).toBeInstanceOf(Cluster);
    const { options, status } = client as Cluster;
    expect({
      status,
      enableOfflineQueue: options.enableOfflineQueue,
      redisOptions: {
        password: options.redisOptions?.password,
        tls: options.redisOptions?.tls,
        commandTimeout: options.redisOptions?.commandTimeout,
        maxRetriesPerRequest: options.redisOptions?.maxRetriesPerRequest,
        connectionName: options.redisOptions?.connectionName,
      },
    }).toEqual({
      status: 'wait',
      enableOfflineQueue: false,
      redisOptions: {
        password: 'pw',
        tls: undefined,
        commandTimeout: 500,
        maxRetriesPerRequest: 0,
        connectionName: 'qualys-relay',
      },
    });
    client.disconnect();
  });
});
