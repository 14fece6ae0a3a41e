import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { TEN_OBSERVABLES_WITH_EVENTS } from '../tools/simulator/dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';
import { eventually, sleep } from './support/timing.js';

/**
 * Spec §15, fair share of the process cap: a slow subscription (6 s per
 * call) advertising `X-ConcurrencyLimit-Limit: 1000` and loaded with 200
 * observables holds at most `QUALYS_SUBSCRIPTION_CONCURRENCY_MAX` (16) of
 * the 64 process slots, so another subscription's 10-observable request
 * still answers at once. Fine ratios belong in the bench; this bound is
 * generous (it took 5–7 s while the slow one held every slot).
 */
const SLOW_USER = 'slow-tenant';
const SLOW_PASSWORD = 'slow-tenant-password';
const SLOW_CALL_MS = 6000;
const DEADLINE_MS = 9000;

interface ObserveBody {
  data?: { sightings?: { count: number } };
  errors?: { type: string; code: string; message: string }[];
}

/** The answer with its random transient ids (spec §5) replaced by their entity. */
/** The body without what differs between two identical requests: random ids, and verdict times (when Qualys answered). */
const withoutRandomIds = (body: ObserveBody): unknown =>
  JSON.parse(
    JSON.stringify(body)
      .replace(/transient:([a-z_]+)-[0-9a-f-]{36}/g, 'transient:$1-<uuid>')
      .replace(
        /"valid_time":\{"start_time":"[^"]+","end_time":"[^"]+"\}/g,
        '"valid_time":"<answered>"',
      ),
  );

const fresh = (tag: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    type: 'sha256',
    value: `${tag}${String(i)}`.padEnd(64, '0'),
  }));

describe('fair share of the process slots between subscriptions (spec §15)', () => {
  let relay: RelayHarness;
  let slowToken: string;
  let quickToken: string;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: {
        QUALYS_CONCURRENCY: '64',
        QUALYS_SUBSCRIPTION_CONCURRENCY: '2',
        QUALYS_TIMEOUT_MS: '10000',
        QUALYS_BUDGET_MS: String(DEADLINE_MS),
        RELAY_DEADLINE_MS: String(DEADLINE_MS),
        QUALYS_RETRIES: '0',
        QUALYS_CACHE_TTL_SEC: '0',
      },
      simulator: {
        credentials: { [SIMULATOR_USER]: SIMULATOR_PASSWORD, [SLOW_USER]: SLOW_PASSWORD },
        // Every answer advertises 1000 concurrent calls; neither tenant gets near it.
        concurrencyLimit: 1000,
      },
    });
    slowToken = await relay.token({ user: SLOW_USER, pass: SLOW_PASSWORD });
    quickToken = await relay.token();
  });
  afterAll(() => relay.close());

  const observe = async (token: string, observables: readonly unknown[]) => {
    const started = performance.now();
    const response = await request(relay.url)
      .post('/observe/observables')
      .set('Authorization', `Bearer ${token}`)
      .send(observables)
      .expect(200);
    return { body: response.body as ObserveBody, ms: performance.now() - started };
  };

  it(
    "answers another subscription's request at once while a slow one is loaded",
    async () => {
      // Both subscriptions learn the advertised limit first (clamped to 16).
      await observe(slowToken, fresh('warm', 20));
      const unloaded = await observe(quickToken, TEN_OBSERVABLES_WITH_EVENTS);
      expect(unloaded.body.errors).toBeUndefined();

      relay.simulator.setUserLatency(SLOW_USER, SLOW_CALL_MS);
      relay.simulator.resetStats();
      const slow = observe(slowToken, fresh('load', 200));
      const running = () => relay.simulator.stats.runningSearches.byUser[SLOW_USER] ?? 0;
      expect(await eventually(() => running() >= 16, 3000)).toBe(true);
      await sleep(200); // every slot the slow subscription may take, it has taken by now

      const loaded = await observe(quickToken, TEN_OBSERVABLES_WITH_EVENTS);
      expect(withoutRandomIds(loaded.body)).toEqual(withoutRandomIds(unloaded.body));
      expect(loaded.ms).toBeLessThan(3000);
      expect(relay.simulator.stats.peakRunningSearches.byUser[SLOW_USER]).toBe(16);

      // The slow request answers by its deadline with what it has, and the error saying so.
      const slowAnswer = await slow;
      expect(slowAnswer.body.errors?.map(({ type, code }) => ({ type, code }))).toEqual([
        { type: 'fatal', code: 'too many requests' },
      ]);
      expect(slowAnswer.ms).toBeLessThan(DEADLINE_MS + 2000);
    },
    DEADLINE_MS + 15_000,
  );
});
