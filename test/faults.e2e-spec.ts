/**
 * Fault injection (issue #6), complementing qualys-errors.e2e-spec.ts (the
 * spec §7 rows): the simulator's faults that file does not drive — on the
 * token call as well as on searches. For each: the exact envelope, an answer
 * within the time budget, and a relay that stays up and answers the next
 * request normally.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { validateObserveResponse } from '../tools/lib/ctim-validator.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

const V = SIMULATOR_VALUES;
const TIMEOUT_MS = 500;
const BUDGET_MS = 3000;
const envelope = (code: string, message: string) => ({
  errors: [{ type: 'fatal', code, message }],
});

/**
 * One simulator account per test that needs a cold token cache: the relay
 * caches tokens per (API URL, credentials), so a fresh user always starts
 * with `POST /auth`.
 */
const USERS = [
  'auth-401',
  'auth-503',
  'auth-503-persistent',
  'auth-hang',
  'auth-empty',
  'auth-html',
  'revoked',
];

interface Answer {
  body: unknown;
  ms: number;
}

describe('Qualys faults beyond spec §7 (fault injection)', () => {
  let relay: RelayHarness;
  let jwt: string;
  let connectionError: ReturnType<typeof envelope>;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: {
        QUALYS_TIMEOUT_MS: String(TIMEOUT_MS),
        QUALYS_BUDGET_MS: String(BUDGET_MS),
        QUALYS_RETRIES: '2',
      },
      simulator: {
        credentials: Object.fromEntries(
          [SIMULATOR_USER, ...USERS].map((user) => [user, SIMULATOR_PASSWORD]),
        ),
      },
    });
    jwt = await relay.token();
    connectionError = envelope(
      'connection error',
      `Unable to connect to Qualys IOC, validate the configured API URL: ${relay.simulator.url}`,
    );
  });
  afterAll(() => relay.close());
  beforeEach(() => {
    relay.simulator.clearFaults();
    relay.simulator.resetStats();
  });

  const observe = async (token = jwt): Promise<Answer> => {
    const started = Date.now();
    const response = await request(relay.url)
      .post('/observe/observables')
      .set('Authorization', `Bearer ${token}`)
      .send([{ type: 'md5', value: V.md5 }])
      .expect(200)
      .expect('Content-Type', /application\/json/);
    return { body: response.body as unknown, ms: Date.now() - started };
  };
  const tokenFor = (user: string) => relay.token({ user });

  /** The relay is still listening and answers a fault-free request in full (2 + 2 md5 events). */
  async function expectRecovery(token = jwt): Promise<void> {
    relay.simulator.clearFaults();
    const { body } = await observe(token);
    expect(validateObserveResponse(body)).toEqual([]);
    expect((body as { data: { sightings: { count: number } } }).data.sightings.count).toBe(4);
    expect(relay.app.getHttpServer().listening).toBe(true);
  }

  /** Resolves once the simulator has no streaming answer left: the relay hung up. */
  async function streamsClosed(): Promise<number> {
    for (let i = 0; i < 50 && relay.simulator.activeStreams > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return relay.simulator.activeStreams;
  }

  describe('on the token call (POST /auth)', () => {
    it('answers a 401 on auth with authorization error, then fetches a token again', async () => {
      const token = await tokenFor('auth-401');
      relay.simulator.injectFault({ on: 'auth', kind: 'status', status: 401, times: 1 });
      const { body, ms } = await observe(token);
      expect(body).toEqual(
        envelope('authorization error', 'Authorization failed: InvalidCredentialsException'),
      );
      expect(ms).toBeLessThan(BUDGET_MS);
      // Both searches waited on one shared fetch, and its failure was not cached.
      expect(relay.simulator.stats.authCalls).toBe(1);
      expect(relay.simulator.stats.searchCalls).toBe(0);
      await expectRecovery(token);
      expect(relay.simulator.stats.authCalls).toBe(2);
    });

    it('retries a transient 503 on auth and answers the events', async () => {
      const token = await tokenFor('auth-503');
      relay.simulator.injectFault({ on: 'auth', kind: 'status', status: 503, times: 1 });
      const { body, ms } = await observe(token);
      expect(validateObserveResponse(body)).toEqual([]);
      expect((body as { data: { sightings: { count: number } } }).data.sightings.count).toBe(4);
      expect(ms).toBeLessThan(BUDGET_MS);
      expect(relay.simulator.stats.authCalls).toBe(2);
      await expectRecovery(token);
    });

    it('gives up on a persistent 503 on auth with service unavailable, within the budget', async () => {
      const token = await tokenFor('auth-503-persistent');
      relay.simulator.injectFault({ on: 'auth', kind: 'status', status: 503 });
      const { body, ms } = await observe(token);
      expect(body).toEqual(
        envelope('service unavailable', 'Service temporarily unavailable. Please try again later.'),
      );
      expect(ms).toBeLessThan(BUDGET_MS);
      expect(relay.simulator.stats.authCalls).toBe(3); // 1 + QUALYS_RETRIES
      await expectRecovery(token);
    });

    it('answers a token call that never answers with connection error, within the budget', async () => {
      const token = await tokenFor('auth-hang');
      relay.simulator.injectFault({ on: 'auth', kind: 'hang', times: 1 });
      const { body, ms } = await observe(token);
      expect(body).toEqual(connectionError);
      expect(ms).toBeLessThan(BUDGET_MS);
      await expectRecovery(token);
    });

    it.each([
      ['auth-empty', 201, '  '],
      ['auth-html', 200, '<html><body>Sign in to the corporate proxy</body></html>'],
    ])(
      'answers a 2xx token answer that is not JWT-shaped with unknown, and never caches it (%s)',
      async (user, status, answer) => {
        const token = await tokenFor(user);
        relay.simulator.injectFault({ on: 'auth', kind: 'status', status, body: answer, times: 1 });
        const { body } = await observe(token);
        expect(body).toEqual(
          envelope('unknown', 'Unexpected response from Qualys IOC authentication'),
        );
        expect([relay.simulator.stats.authCalls, relay.simulator.stats.searchCalls]).toEqual([
          1, 0,
        ]);
        // Not cached: the next request fetches a token again, gets a real one, and searches.
        await expectRecovery(token);
        expect([relay.simulator.stats.authCalls, relay.simulator.stats.searchCalls]).toEqual([
          2, 2,
        ]);
      },
    );
  });

  describe('on searches', () => {
    /** A cached, valid token (another test may have revoked it), and fresh stats. */
    async function warm(): Promise<void> {
      await observe();
      relay.simulator.resetStats();
    }

    it('recovers from a 401 on one search with one token refresh and one retry', async () => {
      await warm();
      relay.simulator.injectFault({
        on: 'search',
        kind: 'status',
        status: 401,
        body: 'Token expired',
        times: 1,
      });
      const { body, ms } = await observe();
      expect(validateObserveResponse(body)).toEqual([]);
      expect((body as { data: { sightings: { count: number } } }).data.sightings.count).toBe(4);
      expect(ms).toBeLessThan(BUDGET_MS);
      // The refused search: refresh + retry; its sibling kept the old token.
      expect([relay.simulator.stats.authCalls, relay.simulator.stats.searchCalls]).toEqual([1, 3]);
      await expectRecovery();
    });

    it('shares one refresh when Qualys revokes the cached token under both searches', async () => {
      const token = await tokenFor('revoked');
      await observe(token);
      relay.simulator.revokeTokens(); // every account's: the next tests warm up again
      relay.simulator.resetStats();
      const { body } = await observe(token);
      expect(validateObserveResponse(body)).toEqual([]);
      expect((body as { data: { sightings: { count: number } } }).data.sightings.count).toBe(4);
      expect([relay.simulator.stats.authCalls, relay.simulator.stats.searchCalls]).toEqual([1, 4]);
      await expectRecovery(token);
    });

    it('retries a 429 without wait headers after a back-off, then answers the events', async () => {
      await warm();
      relay.simulator.injectFault({ on: 'search', kind: 'status', status: 429, times: 1 });
      const { body, ms } = await observe();
      expect((body as { data: { sightings: { count: number } } }).data.sightings.count).toBe(4);
      // retry-policy.ts: first back-off is 125–250 ms (250 ms with jitter).
      expect(ms).toBeGreaterThanOrEqual(120);
      expect(ms).toBeLessThan(BUDGET_MS);
      expect(relay.simulator.stats.searchCalls).toBe(3);
      await expectRecovery();
    });

    it('refuses a 50 MB answer with unknown, and stops reading it', async () => {
      await warm();
      relay.simulator.injectFault({
        on: 'search',
        kind: 'huge-body',
        match: { active: true },
        times: 1,
      });
      const { body, ms } = await observe();
      expect(body).toEqual(
        envelope('unknown', 'Unexpected response from Qualys IOC: the response body is too large'),
      );
      expect(ms).toBeLessThan(BUDGET_MS);
      // The client gives up at QUALYS_MAX_ANSWER_MB (8 MiB): the simulator sees the connection go.
      expect(await streamsClosed()).toBe(0);
      await expectRecovery();
    });

    it('answers an answer that never ends with connection error after the call timeout', async () => {
      await warm();
      relay.simulator.injectFault({
        on: 'search',
        kind: 'endless-body',
        match: { active: true },
        times: 1,
      });
      const { body, ms } = await observe();
      expect(body).toEqual(connectionError);
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(ms).toBeLessThan(BUDGET_MS);
      expect(await streamsClosed()).toBe(0);
      await expectRecovery();
    });
  });
});
