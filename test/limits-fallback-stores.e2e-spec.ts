import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import { startRedisServer, type RedisServerHandle } from '../tools/lib/redis-server.js';
import { eventually } from './support/timing.js';
import { FallbackGate, FallbackResults } from '../src/qualys/limits/fallback-stores.js';
import type { CachedSearch } from '../src/qualys/limits/limit-stores.js';
import { MemoryGate } from '../src/qualys/limits/memory-gate.js';
import { MemoryResults } from '../src/qualys/limits/memory-results.js';
import { RedisConnection } from '../src/qualys/limits/redis-connection.js';
import { RedisGate } from '../src/qualys/limits/redis-gate.js';
import { RedisResults } from '../src/qualys/limits/redis-results.js';
import { ResultCipher } from '../src/qualys/limits/result-cipher.js';
import { StateKeys } from '../src/qualys/limits/state-keys.js';

const SECRET = 'a-cache-encryption-key-of-32-chars!!';
const ANSWER: CachedSearch = {
  pageSize: 100,
  eventsJson: '[{"id":"evt-1"}]',
  fetchedAt: 1_715_677_964_000,
};

const logged: string[] = [];
const capture: LoggerService = {
  log: () => undefined,
  warn: (message: unknown) => logged.push(`warn: ${String(message)}`),
  error: (message: unknown) => logged.push(`error: ${String(message)}`),
};

describe('Fallback stores: Redis while it answers, this process otherwise', () => {
  let server: RedisServerHandle;
  let connection: RedisConnection;
  const keys = new StateKeys(SECRET, 'relay-test:');

  beforeAll(async () => {
    Logger.overrideLogger(capture);
    server = await startRedisServer();
    connection = new RedisConnection({ kind: 'server', url: server.url });
    await connection.connect();
  });

  afterAll(async () => {
    await connection.close();
    await server.close();
  });

  it('answers a call that Redis refuses from this process, and keeps using Redis for the next', async () => {
    const results = new FallbackResults(
      new RedisResults(connection, keys, new ResultCipher(SECRET)),
      new MemoryResults(1_000_000, 0),
      connection,
    );
    // A key of the wrong type: every GET/SET on it is a WRONGTYPE reply error.
    await connection.client.hset(keys.resultKey('cred', 'search'), 'x', '1');
    await expect(results.get('cred', 'search')).resolves.toBeUndefined();
    await results.set('cred', 'search', ANSWER, 10_000);
    expect(await results.get('cred', 'search')).toEqual(ANSWER); // from memory, after Redis said no again
    expect(connection.up).toBe(true);

    await results.set('cred', 'other', ANSWER, 10_000);
    expect(await connection.client.exists(keys.resultKey('cred', 'other'))).toBe(1); // Redis still in use
    expect(logged).toEqual([
      'error: Redis refused a command (WRONGTYPE); answering from this process',
    ]);
  });

  it('keeps a budget block in this process too, so it still holds when Redis goes', async () => {
    const gate = new FallbackGate(new RedisGate(connection, keys), new MemoryGate(), connection);
    await gate.block('sub', 60_000, false, 1000);
    expect(await connection.client.exists(keys.budgetKey('sub'))).toBe(1);
    await server.stop();
    try {
      expect(await eventually(() => !connection.up)).toBe(true);
      const answer = await gate.enter('sub', 2, 10_000);
      expect(answer.kind).toBe('blocked');
      await gate.clear('sub');
      expect((await gate.enter('sub', 2, 10_000)).kind).toBe('granted');
    } finally {
      await server.start();
    }
  });
});
