import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from '../../tools/lib/free-port.js';
import { startRedisServer, type RedisServerHandle } from '../../tools/lib/redis-server.js';
import { until } from './relay-process.js';

/**
 * The highly available Redis forms of spec §14, from the same Debian
 * `redis-server` as tools/lib/redis-server.ts, on loopback ports:
 * a primary, a replica and three Sentinels; or a three-primary Cluster.
 */

/** One command on a short-lived connection (nothing stays open between assertions). */
export async function redisCommand(port: number, command: string, ...args: string[]) {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.call(command, ...args);
  } finally {
    client.disconnect();
  }
}

export interface SentinelSet {
  readonly masterName: string;
  readonly primary: RedisServerHandle;
  readonly replica: RedisServerHandle;
  /** `127.0.0.1:A,127.0.0.1:B,127.0.0.1:C`: the value of `REDIS_SENTINELS`. */
  readonly sentinels: string;
  /** The primary's port as the first Sentinel names it now. */
  primaryPort(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A primary, its replica and three Sentinels (quorum 2) that call the
 * primary down after 1 s without an answer. Resolves once every Sentinel
 * knows the replica and the two other Sentinels, so a failover can happen.
 */
export async function startSentinelSet(masterName = 'relay-primary'): Promise<SentinelSet> {
  const primary = await startRedisServer();
  const replica = await startRedisServer({
    args: ['--replicaof', '127.0.0.1', String(primary.port)],
  });
  const dir = mkdtempSync(join(tmpdir(), 'relay-sentinels-'));
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const children: ChildProcess[] = ports.map((port) => {
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `logfile ${join(dir, `sentinel-${port}.log`)}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 5000`,
        '',
      ].join('\n'),
    );
    return spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  });
  const close = async (): Promise<void> => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await Promise.all([primary.close(), replica.close()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(async () => {
      const link = await redisCommand(replica.port, 'INFO', 'replication').catch(() => '');
      return String(link).includes('master_link_status:up');
    }, 'the replica to sync');
    for (const port of ports) {
      await until(async () => {
        const known = await Promise.all([
          redisCommand(port, 'SENTINEL', 'REPLICAS', masterName).catch(() => []),
          redisCommand(port, 'SENTINEL', 'SENTINELS', masterName).catch(() => []),
        ]);
        return known.every((list, i) => Array.isArray(list) && list.length === [1, 2][i]);
      }, `Sentinel ${port} to know the replica and the other Sentinels`);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    masterName,
    primary,
    replica,
    sentinels: ports.map((port) => `127.0.0.1:${port}`).join(','),
    primaryPort: async () => {
      const address = await redisCommand(
        ports[0],
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        masterName,
      );
      return Number((address as string[])[1]);
    },
    close,
  };
}

export interface RedisClusterHandle {
  readonly nodes: RedisServerHandle[];
  /** `127.0.0.1:A,…`: the value of `REDIS_CLUSTER_NODES`. */
  readonly seeds: string;
  close(): Promise<void>;
}

/** Three primaries, no replicas, every slot assigned; resolves once each says `cluster_state:ok`. */
export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const nodes = await Promise.all(
    [0, 1, 2].map(() =>
      startRedisServer({
        args: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          '{dir}/nodes.conf',
          '--cluster-node-timeout',
          '2000',
        ],
      }),
    ),
  );
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.close()));
  };
  const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
  try {
    await promisify(execFile)('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const node of nodes) {
      await until(async () => {
        const info = await redisCommand(node.port, 'CLUSTER', 'INFO').catch(() => '');
        return String(info).includes('cluster_state:ok');
      }, 'the cluster to be ok');
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { nodes, seeds: addresses.join(','), close };
}
