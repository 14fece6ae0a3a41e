import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { SIMULATOR_VALUES, TEN_OBSERVABLES_WITH_EVENTS } from '../tools/simulator/dataset.js';
import type { QualysSimulator } from '../tools/simulator/qualys-simulator.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

/**
 * Spec §9 against a real simulator that enforces a subscription's limits.
 * Assertions count on the simulator's side (its search log and peaks), not
 * on the relay's own metrics.
 */
const V = SIMULATOR_VALUES;

const TEN = TEN_OBSERVABLES_WITH_EVENTS;

interface ObserveBody {
  data?: { sightings?: { count: number }; indicators?: { docs: { id: string }[] } };
  errors?: { type: string; code: string; message: string }[];
}

async function observe(
  relay: RelayHarness,
  observables: readonly unknown[],
  token?: string,
): Promise<ObserveBody> {
  const response = await request(relay.url)
    .post('/observe/observables')
    .set('Authorization', `Bearer ${token ?? (await relay.token())}`)
    .send(observables)
    .expect(200);
  return response.body as ObserveBody;
}

/** The most searches Qualys had running at once among those that started after `since` (epoch ms). */
function peakAfter(simulator: QualysSimulator, since: number): number {
  const spans = simulator.stats.searches.filter((search) => search.refused === undefined);
  const points = spans.flatMap((search) => [
    { at: search.startedAt, delta: 1, counts: search.startedAt > since },
    { at: search.endedAt ?? Infinity, delta: -1, counts: search.startedAt > since },
  ]);
  points.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let peak = 0;
  for (const point of points) {
    running += point.delta;
    if (point.counts && point.delta === 1) peak = Math.max(peak, running);
  }
  return peak;
}

/** When the first search answer left the simulator. */
const firstAnswer = (simulator: QualysSimulator): number =>
  Math.min(
    ...simulator.stats.searches.flatMap((search) =>
      search.endedAt === undefined ? [] : [search.endedAt],
    ),
  );

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One sample of the relay's /metrics, by name and labels as written (e.g. `{kind="rate"}`). */
async function metric(relay: RelayHarness, series: string): Promise<number | undefined> {
  const text = (await request(relay.url).get('/metrics').expect(200)).text;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('one subscription, 2 concurrent calls at 100 ms (spec §9)', () => {
  let relay: RelayHarness;
  let unlimited: ObserveBody;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: {
        QUALYS_SUBSCRIPTION_CONCURRENCY: '2',
        QUALYS_RETRIES: '0', // a refusal that consumed a retry would fail the request
        QUALYS_CACHE_TTL_SEC: '0',
      },
      simulator: { latencyMs: 100 },
    });
    unlimited = await observe(relay, TEN);
    relay.simulator.setLimits({ concurrencyLimit: 2 });
    relay.simulator.resetStats();
  });
  afterAll(() => relay.close());
  afterEach(() => relay.simulator.resetStats());

  it('answers every sighting of 10 observables without an error or a refusal', async () => {
    const body = await observe(relay, TEN);
    expect(body.errors).toBeUndefined();
    expect(body.data?.sightings?.count).toBe(unlimited.data?.sightings?.count);
    expect(body.data?.indicators?.docs.map((doc) => doc.id)).toEqual(
      unlimited.data?.indicators?.docs.map((doc) => doc.id),
    );
    expect(relay.simulator.stats.searchCalls).toBe(20);
    expect(relay.simulator.stats.refusals).toEqual({ concurrency: 0, rate: 0 });
    expect(relay.simulator.stats.peakRunningSearches.overall).toBe(2);
  });

  it('answers the classic API the same way when it refuses with 409', async () => {
    relay.simulator.setLimits({ refusalStatus: 409, concurrencyLimit: 1 });
    try {
      const body = await observe(relay, TEN.slice(0, 3));
      expect(body.errors).toBeUndefined();
      expect(body.data?.sightings?.count).toBe(12);
      expect(relay.simulator.stats.refusals.concurrency).toBeGreaterThan(0);
      expect(peakAfter(relay.simulator, firstAnswer(relay.simulator))).toBe(1);
    } finally {
      relay.simulator.setLimits({ refusalStatus: 429, concurrencyLimit: 2 });
    }
  });
});

describe('the concurrency header (spec §9)', () => {
  let relay: RelayHarness;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: { QUALYS_SUBSCRIPTION_CONCURRENCY: '2', QUALYS_RETRIES: '0', QUALYS_CONCURRENCY: '16' },
      simulator: { latencyMs: 100 },
    });
  });
  afterAll(() => relay.close());
  afterEach(() => relay.simulator.resetStats());

  it('raises the limit: Qualys allowing 8 gets 8 at once after its first answer', async () => {
    relay.simulator.setLimits({ concurrencyLimit: 8 });
    const body = await observe(relay, TEN);
    expect(body.errors).toBeUndefined();
    expect(relay.simulator.stats.peakRunningSearches.overall).toBe(8);
    expect(relay.simulator.stats.refusals.concurrency).toBe(0);
  });

  it('lowers the limit: Qualys allowing 1 refuses once, then sees one call at a time, and no refusal costs a retry', async () => {
    relay.simulator.setLimits({
      concurrencyLimit: 1,
      concurrencyHeaderSpelling: 'X-Concurrency-Limit-*',
    });
    const body = await observe(relay, TEN.slice(0, 4));
    expect(body.errors).toBeUndefined();
    expect(body.data?.sightings?.count).toBe(16);
    expect(relay.simulator.stats.refusals.concurrency).toBeGreaterThan(0);
    expect(peakAfter(relay.simulator, firstAnswer(relay.simulator))).toBe(1);
    // The relay counts what the simulator refused, by kind, and its queue is empty again.
    expect(await metric(relay, 'relay_qualys_refusals_total{kind="concurrency"}')).toBe(
      relay.simulator.stats.refusals.concurrency,
    );
    expect(await metric(relay, 'relay_qualys_queued_calls')).toBe(0);
    expect(await metric(relay, 'relay_redis_state{state="off"}')).toBe(1);
  });
});

describe('coalescing and the result cache (spec §9)', () => {
  let relay: RelayHarness;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: { QUALYS_SUBSCRIPTION_CONCURRENCY: '4', QUALYS_CACHE_TTL_SEC: '1' },
      simulator: {
        latencyMs: 50,
        credentials: { 'relay-demo': 'Sim&ulat=or+50%pass', analyst2: 'second-analyst-pass' },
      },
    });
  });
  afterAll(() => relay.close());
  afterEach(() => relay.simulator.resetStats());

  it('answers the same investigation again within the TTL with no Qualys call, and calls again after it', async () => {
    const first = await observe(relay, TEN);
    expect(relay.simulator.stats.searchCalls).toBe(20);
    relay.simulator.resetStats();
    const again = await observe(relay, TEN);
    expect(relay.simulator.stats.searchCalls).toBe(0);
    expect(again.data?.sightings?.count).toBe(first.data?.sightings?.count);
    expect(again.data?.indicators?.docs.map((doc) => doc.id)).toEqual(
      first.data?.indicators?.docs.map((doc) => doc.id),
    );
    await settle(1200);
    await observe(relay, TEN);
    expect(relay.simulator.stats.searchCalls).toBe(20);
  });

  it('shares one call between identical searches of concurrent requests', async () => {
    await settle(1100); // the previous test's answers expire
    const bodies = await Promise.all([
      observe(relay, TEN),
      observe(relay, TEN),
      observe(relay, TEN),
    ]);
    expect(bodies.map((body) => body.errors)).toEqual([undefined, undefined, undefined]);
    expect(relay.simulator.stats.searchCalls).toBe(20);
  });

  it('never serves one user what another user of the same API URL fetched', async () => {
    await settle(1100);
    await observe(relay, TEN.slice(0, 2));
    relay.simulator.resetStats();
    const other = await relay.token({ user: 'analyst2', pass: 'second-analyst-pass' });
    await observe(relay, TEN.slice(0, 2), other);
    expect(relay.simulator.stats.searchCalls).toBe(4);
    expect(relay.simulator.stats.searches.map((search) => search.user)).toEqual([
      'analyst2',
      'analyst2',
      'analyst2',
      'analyst2',
    ]);
  });

  it('answers a wrong password for a cached user with the /auth error: no cached data, no slot', async () => {
    await observe(relay, TEN.slice(0, 2));
    relay.simulator.resetStats();
    const wrong = await relay.token({ pass: 'not-the-password' });
    expect(await observe(relay, TEN.slice(0, 2), wrong)).toEqual({
      errors: [
        {
          type: 'fatal',
          code: 'authorization error',
          message: 'Authorization failed: InvalidCredentialsException',
        },
      ],
    });
    expect(relay.simulator.stats.searchCalls).toBe(0);
    expect(relay.simulator.stats.authCalls).toBe(1);
  });

  it('counts cache hits, misses and coalesced searches in /metrics', async () => {
    const before = {
      hit: (await metric(relay, 'relay_qualys_cache_lookups_total{result="hit"}')) ?? 0,
      miss: (await metric(relay, 'relay_qualys_cache_lookups_total{result="miss"}')) ?? 0,
      coalesced: (await metric(relay, 'relay_qualys_cache_lookups_total{result="coalesced"}')) ?? 0,
    };
    await settle(1100); // earlier answers expire
    await Promise.all([observe(relay, TEN.slice(0, 1)), observe(relay, TEN.slice(0, 1))]); // 2 misses, 2 coalesced
    await observe(relay, TEN.slice(0, 1)); // 2 hits
    expect({
      hit:
        ((await metric(relay, 'relay_qualys_cache_lookups_total{result="hit"}')) ?? 0) - before.hit,
      miss:
        ((await metric(relay, 'relay_qualys_cache_lookups_total{result="miss"}')) ?? 0) -
        before.miss,
      coalesced:
        ((await metric(relay, 'relay_qualys_cache_lookups_total{result="coalesced"}')) ?? 0) -
        before.coalesced,
    }).toEqual({ hit: 2, miss: 2, coalesced: 2 });
  });
});

describe('the rate budget (spec §9)', () => {
  let relay: RelayHarness;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: { QUALYS_SUBSCRIPTION_CONCURRENCY: '2', QUALYS_CACHE_TTL_SEC: '60' },
      simulator: {
        latencyMs: 20,
        credentials: { 'relay-demo': 'Sim&ulat=or+50%pass', analyst2: 'second-analyst-pass' },
      },
    });
  });
  afterAll(() => relay.close());
  afterEach(() => relay.simulator.resetStats());

  it('sends nothing while the budget is spent, answers at once with the wait and the cached data, and resumes when the window reopens', async () => {
    relay.simulator.setLimits({ rateLimit: { calls: 4, windowSec: 3 } });
    const spending = await observe(relay, TEN.slice(0, 2)); // 4 calls: the last answer says Remaining: 0
    expect(spending.errors).toBeUndefined();
    relay.simulator.resetStats();

    const started = Date.now();
    const blocked = await observe(relay, TEN.slice(0, 3)); // 2 cached, 1 needs Qualys
    expect(Date.now() - started).toBeLessThan(1000); // at once, not after the window
    expect(relay.simulator.stats.searchCalls).toBe(0);
    expect(blocked.errors).toEqual([
      {
        type: 'fatal',
        code: 'too many requests',
        message: expect.stringMatching(
          /^Qualys IOC API rate limit reached; try again in [1-3] seconds\.$/,
        ),
      },
    ]);
    expect(blocked.data?.sightings?.count).toBe(8); // the two cached observables
    expect(await metric(relay, 'relay_qualys_rate_budget_remaining_min')).toBe(0);

    await settle(3200);
    const resumed = await observe(relay, TEN.slice(2, 3));
    expect(resumed.errors).toBeUndefined();
    expect(relay.simulator.stats.searchCalls).toBe(2);
  });

  it('without a wait from Qualys, blocks min(window, 60 s) and then sends one probe', async () => {
    relay.simulator.setLimits({ rateLimit: { calls: 2, windowSec: 2 }, rateRefusalWait: false });
    // Another subscription than the test above, whose budget that test spent.
    const token = await relay.token({ user: 'analyst2', pass: 'second-analyst-pass' });
    await observe(relay, TEN.slice(3, 4), token); // 2 calls: Remaining: 0, no wait given
    relay.simulator.resetStats();
    const blocked = await observe(relay, TEN.slice(4, 5), token);
    expect(blocked.errors?.[0]?.message).toMatch(
      /^Qualys IOC API rate limit reached; try again in [12] seconds\.$/,
    );
    expect(relay.simulator.stats.searchCalls).toBe(0);
    await settle(2200);
    const resumed = await observe(relay, TEN.slice(4, 5), token);
    expect(resumed.errors).toBeUndefined();
    expect(relay.simulator.stats.searchCalls).toBe(2);
    expect(relay.simulator.stats.refusals.rate).toBe(0);
  });
});

describe('the request deadline (spec §9)', () => {
  let relay: RelayHarness;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: {
        RELAY_DEADLINE_MS: '2000',
        QUALYS_BUDGET_MS: '2000',
        QUALYS_TIMEOUT_MS: '5000',
        QUALYS_SUBSCRIPTION_CONCURRENCY: '2',
        QUALYS_CACHE_TTL_SEC: '0',
      },
      simulator: { latencyMs: 600 },
    });
  });
  afterAll(() => relay.close());
  afterEach(() => relay.simulator.resetStats());

  it('answers by the deadline with what finished and one error; nothing runs or starts after the answer', async () => {
    relay.simulator.setLimits({ concurrencyLimit: 2 });
    const started = Date.now();
    const body = await observe(relay, TEN);
    const answeredAt = performance.timeOrigin + performance.now();
    expect(Date.now() - started).toBeLessThan(2000 + 500);
    // 20 searches, 2 at a time, 600 ms each: only a few finish in 2 s.
    expect(body.errors).toEqual([
      {
        type: 'fatal',
        code: 'too many requests',
        message: expect.stringMatching(
          /^Qualys IOC did not answer in time for ([6-9]|10) of 10 observables; try again later\.$/,
        ),
      },
    ]);
    expect(body.data?.sightings?.count).toBeGreaterThan(0);
    await settle(1500);
    expect(
      relay.simulator.stats.searches.filter((search) => search.startedAt > answeredAt),
    ).toEqual([]);
    expect(relay.simulator.stats.runningSearches.overall).toBe(0);
  });

  it('says connection error when every unfinished search was waiting on Qualys itself', async () => {
    relay.simulator.setLimits({ concurrencyLimit: null });
    relay.simulator.setLatency(4000);
    try {
      // One observable: its two searches hold the subscription's two slots, so neither waits for one.
      const body = await observe(
        relay,
        TEN.slice(0, 1),
        await relay.token({ CTR_ENTITIES_LIMIT: 7 }),
      );
      expect(body).toEqual({
        errors: [
          {
            type: 'fatal',
            code: 'connection error',
            message: 'Qualys IOC did not answer in time for 1 of 1 observables; try again later.',
          },
        ],
      });
    } finally {
      relay.simulator.setLatency(600);
    }
  });
});

describe('fairness and the process-wide cap (spec §9)', () => {
  let relay: RelayHarness;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: {
        QUALYS_SUBSCRIPTION_CONCURRENCY: '3',
        QUALYS_CONCURRENCY: '3',
        QUALYS_CACHE_TTL_SEC: '0',
      },
      simulator: {
        latencyMs: 50,
        credentials: { 'relay-demo': 'Sim&ulat=or+50%pass', analyst2: 'second-analyst-pass' },
      },
    });
  });
  afterAll(() => relay.close());
  afterEach(() => relay.simulator.resetStats());

  it('lets a small request through while a large one of the same subscription is queued', async () => {
    const large = Array.from({ length: 40 }, (_, i) => ({
      type: 'sha256',
      value: `${i}`.padStart(64, 'a'),
    }));
    const finished: string[] = [];
    const big = observe(relay, large).then(() => finished.push('large'));
    await settle(150);
    const small = observe(relay, [{ type: 'md5', value: V.md5 }]).then(() =>
      finished.push('small'),
    );
    await Promise.all([big, small]);
    expect(finished).toEqual(['small', 'large']);
  });

  it('never has more than QUALYS_CONCURRENCY calls in flight across subscriptions', async () => {
    const other = await relay.token({ user: 'analyst2', pass: 'second-analyst-pass' });
    const bodies = await Promise.all([
      observe(relay, TEN.slice(0, 5)),
      observe(relay, TEN.slice(5), other),
    ]);
    expect(bodies.map((body) => body.errors)).toEqual([undefined, undefined]);
    expect(relay.simulator.stats.peakRunningSearches.overall).toBe(3);
  });
});
