import { Logger } from '@nestjs/common';
import type { RedisTopology } from '../../config/relay-config.js';
import {
  COMMAND_TIMEOUT_MS,
  createRedisClient,
  describeTopology,
  DISCONNECT_TIMEOUT_MS,
  isReadOnlyError,
  MAX_RECONNECT_DELAY_MS,
  observeCommands,
  unprotectedHosts,
  type RedisClient,
  type RedisCommandObserver,
} from './redis-clients.js';

/**
 * The relay's two connections to Redis (spec §9): `client` for commands and
 * `subscriber` for the pub/sub wake-ups (a subscribed connection can run no
 * other command). Redis is an optimisation the relay must never wait for:
 *
 * * no offline queue, a 500 ms `commandTimeout` and no resend or
 *   retry of a command after a reconnect: while Redis is away a command
 *   fails at once (or within the timeout), and its caller answers from this
 *   process. A command answered from memory must not run later in Redis.
 * * `lazyConnect` plus `connect()`, which never rejects: the relay starts
 *   and serves with Redis down, and reconnects by itself (capped back-off).
 * * A command that times out on an open connection (Redis frozen, a network
 *   path gone without a reset) makes the connection count as down and
 *   reconnect; `ready` brings sharing back.
 *
 * The same holds for every topology (spec §14, redis-clients.ts): a
 * Sentinel or Cluster failover is one more outage, bridged by this
 * process's stores, and the reconnect finds the new primary.
 *
 * The URL and passwords are secrets: logs name hosts only.
 */
export class RedisConnection {
  /** Longest pause between reconnect attempts. */
  static readonly MAX_RECONNECT_DELAY_MS = MAX_RECONNECT_DELAY_MS;
  static readonly COMMAND_TIMEOUT_MS = COMMAND_TIMEOUT_MS;

  readonly client: RedisClient;
  readonly subscriber: RedisClient;
  private readonly logger = new Logger('Redis');
  /** Hosts and ports of the topology: what logs may show. */
  private readonly where: string;
  private isUp = false;
  private outageLogged = false;
  private closing = false;
  private lastReplyErrorLog = 0;
  /** Per connection: the client's and the subscriber's restarts are independent. */
  private readonly restartTimers = new Map<RedisClient, NodeJS.Timeout>();
  private readonly listeners = new Set<(up: boolean) => void>();

  /** `commands`: told about every command of `client` (tracing); the subscriber's are not traced. */
  constructor(
    private readonly topology: RedisTopology,
    commands?: RedisCommandObserver,
  ) {
    this.where = describeTopology(topology);
    this.client = createRedisClient(topology, 'qualys-relay');
    if (commands !== undefined) observeCommands(this.client, commands);
    this.subscriber = createRedisClient(topology, 'qualys-relay-sub');
    for (const redis of [this.client, this.subscriber]) {
      // Failures surface as state changes and failed commands; the event itself says nothing new.
      redis.on('error', () => undefined);
      // ioredis gives up only on errors it deems fatal; the relay keeps trying.
      redis.on('end', () => this.restartLater(redis));
    }
    this.client.on('ready', () => this.setUp(true));
    this.client.on('close', () => this.setUp(false));
  }

  /** Whether commands go to Redis now. */
  get up(): boolean {
    return this.isUp;
  }

  /** Calls `listener` on every change of `up` (the metrics gauge); returns the unsubscribe. */
  onStateChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Opens both connections. Resolves `true` once Redis answers, `false`
   * when the first attempt failed (reconnecting then goes on in the
   * background). Never rejects.
   */
  async connect(): Promise<boolean> {
    this.logger.log(`Sharing limits and cache through ${this.where}`);
    const unprotected = unprotectedHosts(this.topology);
    if (unprotected.length > 0) {
      const variable = TOPOLOGY_VARIABLE[this.topology.kind];
      this.logger.warn(
        `${variable} names ${unprotected.join(', ')}, not this host, without a password: whoever reaches it can read and change the relay's limits`,
      );
    }
    this.subscriber.connect().catch(() => undefined);
    const connected = await this.client.connect().then(
      () => true,
      () => false,
    );
    if (!connected) this.reportOutage();
    return connected;
  }

  /**
   * A command failed. A reply error (Redis answered "no": out of memory,
   * ACL) is logged at most once a minute and changes nothing; anything
   * else (timeout, closed connection) means Redis is down until it is
   * `ready` again, and an open connection that stopped answering is dropped
   * and reopened.
   */
  commandFailed(error: unknown): void {
    // READONLY: a demoted primary, which the reconnect replaces (redis-clients.ts).
    if (error instanceof Error && error.name === 'ReplyError' && !isReadOnlyError(error)) {
      if (Date.now() - this.lastReplyErrorLog > 60_000) {
        this.lastReplyErrorLog = Date.now();
        this.logger.error(
          `Redis refused a command (${error.message.split(' ')[0]}); answering from this process`,
        );
      }
      return;
    }
    if (!this.isUp || this.closing) return;
    this.setUp(false);
    this.client.disconnect(true);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.listeners.clear();
    await Promise.all([shutDown(this.client), shutDown(this.subscriber)]);
  }

  private setUp(up: boolean): void {
    if (up === this.isUp || (up && this.closing)) return;
    this.isUp = up;
    if (up && this.outageLogged) {
      this.outageLogged = false;
      this.logger.log(`${this.where} is reachable again; limits and cache are shared again`);
    }
    if (!up) this.reportOutage();
    for (const listener of [...this.listeners]) listener(up);
  }

  /** One warning per outage (spec §9), however many commands fail during it. */
  private reportOutage(): void {
    if (this.outageLogged || this.closing) return;
    this.outageLogged = true;
    this.logger.warn(
      `Redis unreachable; falling back to per-process limits and cache (${this.where})`,
    );
  }

  private restartLater(redis: RedisClient): void {
    if (this.closing) return;
    clearTimeout(this.restartTimers.get(redis));
    this.restartTimers.set(
      redis,
      setTimeout(() => {
        if (!this.closing && redis.status === 'end') redis.connect().catch(() => undefined);
      }, RedisConnection.MAX_RECONNECT_DELAY_MS),
    );
  }
}

/** The variable that names each topology, for messages. */
const TOPOLOGY_VARIABLE = {
  server: 'REDIS_URL',
  sentinel: 'REDIS_SENTINELS',
  cluster: 'REDIS_CLUSTER_NODES',
} as const;

/** QUIT when connected, else drop the socket and any reconnect timer; resolves when nothing is left open. */
async function shutDown(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') {
    // Ended on its own, ioredis may still hold a Sentinel failover detector's connections.
    redis.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => redis.once('end', resolve));
  if (redis.status === 'ready') {
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
    }
  } else {
    redis.disconnect();
  }
  const status = redis.status as string;
  if (status === 'reconnecting' || status === 'close') {
    // Between two reconnect attempts there is no socket, so no 'end' event to wait for; but
    // ioredis still arms its `disconnectTimeout` timer on the socket that already closed.
    // Letting it run out keeps "closed" meaning "nothing left behind" (Jest exits cleanly).
    await new Promise((resolve) => setTimeout(resolve, DISCONNECT_TIMEOUT_MS + 10));
    return;
  }
  await ended;
}
