import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * The relay's two connections to Redis (spec §9): `client` for commands and
 * `subscriber` for the pub/sub wake-ups (a subscribed connection can run no
 * other command). Redis is an optimisation the relay must never wait for:
 *
 * * `enableOfflineQueue: false`, a 500 ms `commandTimeout` and no resend or
 *   retry of a command after a reconnect: while Redis is away a command
 *   fails at once (or within the timeout), and its caller answers from this
 *   process. A command answered from memory must not run later in Redis.
 * * `lazyConnect` plus `connect()`, which never rejects: the relay starts
 *   and serves with Redis down, and reconnects by itself (capped back-off).
 * * A command that times out on an open connection (Redis frozen, a network
 *   path gone without a reset) makes the connection count as down and
 *   reconnect; `ready` brings sharing back.
 *
 * The URL is a secret (it may carry a password): logs name its host only.
 */
export class RedisConnection {
  /** Longest pause between reconnect attempts. */
  static readonly MAX_RECONNECT_DELAY_MS = 1000;
  static readonly COMMAND_TIMEOUT_MS = 500;

  readonly client: Redis;
  readonly subscriber: Redis;
  private readonly logger = new Logger('Redis');
  /** `host[:port]` of the URL: what logs may show. */
  private readonly host: string;
  private readonly hasPassword: boolean;
  private isUp = false;
  private outageLogged = false;
  private closing = false;
  private lastReplyErrorLog = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(up: boolean) => void>();

  constructor(url: string) {
    const parsed = new URL(url);
    this.host = parsed.host;
    this.hasPassword = parsed.password !== '';
    // `rediss://` turns on TLS (ioredis reads it from the scheme); the system CAs verify the server.
    this.client = new Redis(url, { ...CONNECTION_OPTIONS, connectionName: 'qualys-relay' });
    this.subscriber = new Redis(url, { ...CONNECTION_OPTIONS, connectionName: 'qualys-relay-sub' });
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
    this.logger.log(`Sharing limits and cache through Redis at ${this.host}`);
    if (!this.hasPassword && !isLoopback(this.host)) {
      this.logger.warn(
        `REDIS_URL names ${this.host}, not this host, without a password: whoever reaches it can read and change the relay's limits`,
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
    if (error instanceof Error && error.name === 'ReplyError') {
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
    clearTimeout(this.restartTimer);
    this.listeners.clear();
    await Promise.all([shutDown(this.client), shutDown(this.subscriber)]);
  }

  private setUp(up: boolean): void {
    if (up === this.isUp || (up && this.closing)) return;
    this.isUp = up;
    if (up && this.outageLogged) {
      this.outageLogged = false;
      this.logger.log(
        `Redis at ${this.host} is reachable again; limits and cache are shared again`,
      );
    }
    if (!up) this.reportOutage();
    for (const listener of [...this.listeners]) listener(up);
  }

  /** One warning per outage (spec §9), however many commands fail during it. */
  private reportOutage(): void {
    if (this.outageLogged || this.closing) return;
    this.outageLogged = true;
    this.logger.warn(
      `Redis unreachable; falling back to per-process limits and cache (${this.host})`,
    );
  }

  private restartLater(redis: Redis): void {
    if (this.closing) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.closing && redis.status === 'end') redis.connect().catch(() => undefined);
    }, RedisConnection.MAX_RECONNECT_DELAY_MS);
  }
}

const DISCONNECT_TIMEOUT_MS = 200;

const CONNECTION_OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  commandTimeout: RedisConnection.COMMAND_TIMEOUT_MS,
  connectTimeout: 2000,
  // How long a closing socket may take before it is destroyed (ioredis's default is 2 s).
  disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  // A command in flight when the connection drops fails at once; it is not
  // replayed later (its caller already answered from this process).
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  disableClientInfo: true,
  // 50 ms, 100 ms, … capped at a second, with jitter so replicas do not reconnect in step.
  retryStrategy: (attempt: number) =>
    Math.min(RedisConnection.MAX_RECONNECT_DELAY_MS, 50 * 2 ** Math.min(attempt, 10)) +
    Math.floor(Math.random() * 50),
};

function isLoopback(host: string): boolean {
  const hostname = new URL(`redis://${host}`).hostname;
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname) ||
    hostname === '[::1]'
  );
}

/** QUIT when connected, else drop the socket and any reconnect timer; resolves when nothing is left open. */
async function shutDown(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
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
