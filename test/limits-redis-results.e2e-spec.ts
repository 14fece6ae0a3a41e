import { beforeAll, describe, expect, it } from '@jest/globals';
import { twoReplicas } from './support/redis-replicas.js';
import { sleep } from './support/timing.js';
import type { CachedSearch } from '../src/qualys/limits/limit-stores.js';
import { RedisResults } from '../src/qualys/limits/redis-results.js';
import { ResultCipher } from '../src/qualys/limits/result-cipher.js';
import { StateKeys } from '../src/qualys/limits/state-keys.js';

const SECRET = 'a-cache-encryption-key-of-32-chars!!';
const API = 'https://gateway.qg2.apps.qualys.eu';
const USER = 'acme_ab12';
const EVENT_FIELD = 'evt-field-value-7f3a';
const ANSWER: CachedSearch = {
  pageSize: 100,
  eventsJson: JSON.stringify([{ id: 'e1', file: { fullPath: `C:\\${EVENT_FIELD}.exe` } }]),
  fetchedAt: 1_715_677_964_123,
};

describe('RedisResults: the shared, encrypted result cache against a real redis-server', () => {
  const redis = twoReplicas();
  let a: RedisResults;
  let b: RedisResults;
  const keys = new StateKeys(SECRET, 'relay-test:');
  const CRED = keys.credentialsId(API, USER, 'hunter2');
  const SEARCH = keys.cacheKey(`file.fullPath:"${EVENT_FIELD}"`, true, 1);

  beforeAll(() => {
    a = new RedisResults(redis.connA, keys, new ResultCipher(SECRET));
    b = new RedisResults(redis.connB, keys, new ResultCipher(SECRET));
  });

  it('serves an answer stored by one replica to another', async () => {
    await a.set(CRED, SEARCH, ANSWER, 10_000);
    expect(await b.get(CRED, SEARCH)).toEqual(ANSWER);
    expect(await b.get(CRED, keys.cacheKey('other', true, 1))).toBeUndefined();
    expect(await b.get(keys.credentialsId(API, USER, 'other-password'), SEARCH)).toBeUndefined();
  });

  it('keeps nothing in clear: no event field, user name, filter or JSON field name in any key or value', async () => {
    await a.set(CRED, SEARCH, ANSWER, 10_000);
    const dump = await redis.server.dumpValues();
    expect(dump.map((entry) => [entry.key, entry.type])).toEqual([
      [keys.resultKey(CRED, SEARCH), 'string'],
    ]);
    for (const entry of dump) {
      for (const secret of [
        EVENT_FIELD,
        USER,
        'hunter2',
        'qualys',
        'fullPath',
        'eventsJson',
        'pageSize',
        'fetchedAt',
        String(ANSWER.fetchedAt),
      ]) {
        expect([secret, entry.key.includes(secret), entry.value.includes(secret)]).toEqual([
          secret,
          false,
          false,
        ]);
      }
    }
  });

  it('expires an entry with its TTL (in Redis and inside the sealed value)', async () => {
    await a.set(CRED, SEARCH, ANSWER, 500);
    const ttl = await redis.connA.client.pttl(keys.resultKey(CRED, SEARCH));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(500);
    expect(await b.get(CRED, SEARCH)).toEqual(ANSWER);
    await sleep(550);
    expect(await b.get(CRED, SEARCH)).toBeUndefined();
  });

  it('refuses a value whose Redis TTL was removed once its sealed expiry passed', async () => {
    await a.set(CRED, SEARCH, ANSWER, 500);
    await redis.connA.client.persist(keys.resultKey(CRED, SEARCH));
    await sleep(550);
    expect(await redis.connA.client.exists(keys.resultKey(CRED, SEARCH))).toBe(1);
    expect(await b.get(CRED, SEARCH)).toBeUndefined();
  });

  it('stores nothing with a TTL of 0 (cache disabled)', async () => {
    await a.set(CRED, SEARCH, ANSWER, 0);
    expect(await redis.server.keys()).toEqual([]);
  });

  it('treats a value moved to another key, changed, or sealed under another secret as a miss', async () => {
    const key = keys.resultKey(CRED, SEARCH);
    const otherSearch = keys.cacheKey('other', true, 1);
    await a.set(CRED, SEARCH, ANSWER, 10_000);
    await redis.connA.client.copy(key, keys.resultKey(CRED, otherSearch));
    expect(await b.get(CRED, otherSearch)).toBeUndefined();

    const sealed = (await redis.connA.client.getBuffer(key)) as Buffer;
    sealed[sealed.length - 1] ^= 0x01;
    await redis.connA.client.set(key, sealed);
    expect(await b.get(CRED, SEARCH)).toBeUndefined();

    await redis.connA.client.set(key, 'not even sealed');
    expect(await b.get(CRED, SEARCH)).toBeUndefined();

    const stranger = new RedisResults(
      redis.connB,
      keys,
      new ResultCipher('another-secret-of-32-characters-xx'),
    );
    await a.set(CRED, SEARCH, ANSWER, 10_000);
    expect(await stranger.get(CRED, SEARCH)).toBeUndefined();
  });

  it('treats a sealed value that is not a cached search as a miss', async () => {
    const key = keys.resultKey(CRED, SEARCH);
    const cipher = new ResultCipher(SECRET);
    await redis.connA.client.set(
      key,
      cipher.seal(CRED, key, Buffer.from('{"pageSize":"100"}'), Date.now() + 10_000),
    );
    expect(await b.get(CRED, SEARCH)).toBeUndefined();
    await redis.connA.client.set(
      key,
      cipher.seal(CRED, key, Buffer.from('not json'), Date.now() + 10_000),
    );
    expect(await b.get(CRED, SEARCH)).toBeUndefined();
  });

  it('keeps the fetch time inside the sealed value, and treats an entry without one as a miss', async () => {
    await a.set(CRED, SEARCH, ANSWER, 10_000);
    expect((await b.get(CRED, SEARCH))?.fetchedAt).toBe(1_715_677_964_123);

    const key = keys.resultKey(CRED, SEARCH);
    const cipher = new ResultCipher(SECRET);
    const withoutFetchTime = JSON.stringify({ pageSize: 100, eventsJson: '[]' });
    await redis.connA.client.set(
      key,
      cipher.seal(CRED, key, Buffer.from(withoutFetchTime), Date.now() + 10_000),
    );
    expect(await b.get(CRED, SEARCH)).toBeUndefined();
  });
});
