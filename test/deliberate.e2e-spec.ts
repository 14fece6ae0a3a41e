import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { validateObserveResponse } from '../tools/lib/ctim-validator.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

type Doc = Record<string, unknown> & { valid_time: { start_time: string; end_time: string } };
type Body = {
  data?: Record<string, { count: number; docs: Doc[] }>;
  errors?: unknown[];
};

const V = SIMULATOR_VALUES;
const HOUR_MS = 3600 * 1000;

/** A relay route's answer, its data checked to be valid CTIM, with the relay clock around the call. */
async function post(
  relay: RelayHarness,
  route: string,
  observables: unknown,
  token: string,
): Promise<{ body: Body; before: number; after: number }> {
  const before = Date.now();
  const response = await request(relay.url)
    .post(route)
    .set('Authorization', `Bearer ${token}`)
    .send(observables as object)
    .expect(200)
    .expect('Content-Type', /application\/json/);
  const after = Date.now();
  const body = response.body as Body;
  // An error envelope without data is compared whole by its test.
  if (body.data !== undefined) expect(validateObserveResponse(body)).toEqual([]);
  return { body, before, after };
}

/** The verdict spec §13 describes, valid for VERDICT_VALID_SEC (`validMs`) from `start`. */
function verdict(type: string, value: string, disposition: number, name: string, start: string) {
  return (validMs = HOUR_MS) => ({
    type: 'verdict',
    observable: { type, value },
    disposition,
    disposition_name: name,
    valid_time: {
      start_time: start,
      end_time: new Date(Date.parse(start) + validMs).toISOString(),
    },
  });
}

/** The filters the simulator was asked for, `<state> <filter>`, sorted. */
function searches(relay: RelayHarness): string[] {
  return relay.simulator.stats.requests
    .filter((r) => r.method === 'GET')
    .map((r) => `${r.query.state ?? 'historical'} ${r.query.filter}`)
    .sort();
}

const both = (filter: string) => [`historical ${filter}`, `true ${filter}`];

describe('POST /deliberate/observables (spec §13)', () => {
  let relay: RelayHarness;
  let jwt: string;

  beforeAll(async () => {
    relay = await startRelayHarness({ env: { VERDICT_VALID_SEC: '900' } });
    jwt = await relay.token();
  });
  afterAll(() => relay.close());
  beforeEach(() => {
    relay.simulator.clearFaults();
    relay.simulator.resetStats();
  });

  const deliberate = (observables: unknown, token = jwt) =>
    post(relay, '/deliberate/observables', observables, token);

  it('answers one verdict per judged hash, searching only the hashes, in request order', async () => {
    const { body, before, after } = await deliberate([
      { type: 'sha256', value: V.sha256 },
      { type: 'ip', value: V.ip },
      { type: 'md5', value: V.md5 },
      { type: 'sha256', value: V.disputedSha256 },
      { type: 'domain', value: V.domain },
      { type: 'url', value: 'https://example.com/' },
      { type: 'sha256', value: V.cleanSha256 },
      { type: 'sha256', value: V.unknownVerdictSha256 },
      { type: 'sha256', value: V.noIndicator2Sha256 },
      { type: 'sha256', value: V.unknownSha256 },
      { type: 'sha256', value: V.sha256, extra: 'a repeat is answered once' },
    ]);

    const starts = (body.data?.verdicts?.docs ?? []).map((doc) => doc.valid_time.start_time);
    for (const start of starts) {
      expect(Date.parse(start)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(start)).toBeLessThanOrEqual(after);
    }
    const validMs = 900 * 1000;
    expect(body).toEqual({
      data: {
        verdicts: {
          count: 4,
          docs: [
            // MALICIOUS and REMEDIATED (Malicious) over SUSPICIOUS.
            verdict('sha256', V.sha256, 2, 'Malicious', starts[0])(validMs),
            verdict('md5', V.md5, 2, 'Malicious', starts[1])(validMs),
            // SUSPICIOUS then KNOWN in one event: Clean wins, as in CTIM.
            verdict('sha256', V.disputedSha256, 1, 'Clean', starts[2])(validMs),
            verdict('sha256', V.cleanSha256, 1, 'Clean', starts[3])(validMs),
          ],
        },
      },
    });
    // The /observe searches of the hashes (spec §4 filter, page size L), and nothing else.
    const hashes = [
      V.sha256,
      V.disputedSha256,
      V.cleanSha256,
      V.unknownVerdictSha256,
      V.noIndicator2Sha256,
      V.unknownSha256,
    ];
    expect(searches(relay)).toEqual(
      [
        ...hashes.flatMap((hash) => both(`file.hash.sha256: "${hash}"`)),
        ...both(`file.hash.md5: "${V.md5}"`),
      ].sort(),
    );
    expect(relay.simulator.stats.requests.filter((r) => r.method === 'GET').length).toBe(14);
    expect(
      new Set(relay.simulator.stats.requests.map((r) => r.query.pageSize).filter(Boolean)),
    ).toEqual(new Set(['100']));
  });

  it('answers {"data":{}} without a Qualys search when no observable is a hash', async () => {
    const { body } = await deliberate([
      { type: 'ip', value: V.ip },
      { type: 'domain', value: V.domain },
      { type: 'file_name', value: V.fileName },
      { type: 'email', value: 'a@b.example' },
    ]);
    expect(body).toEqual({ data: {} });
    expect(relay.simulator.stats.searchCalls).toBe(0);
    expect((await deliberate([])).body).toEqual({ data: {} });
  });

  it('answers {"data":{}} for hashes Qualys judged Unknown only, or not at all', async () => {
    const { body } = await deliberate([
      { type: 'sha256', value: V.unknownVerdictSha256 },
      { type: 'sha256', value: V.emptyIndicator2Sha256 },
      { type: 'sha256', value: V.unknownSha256 },
    ]);
    expect(body).toEqual({ data: {} });
    expect(relay.simulator.stats.searchCalls).toBe(6);
  });

  it('counts only the judgements within the entity limit, as /observe does', async () => {
    // The disputed file's KNOWN judgement is its second: with CTR_ENTITIES_LIMIT 1 it is cut.
    const token = await relay.token({ CTR_ENTITIES_LIMIT: 1 });
    const { body } = await deliberate([{ type: 'sha256', value: V.disputedSha256 }], token);
    const start = body.data!.verdicts.docs[0].valid_time.start_time;
    expect(body).toEqual({
      data: {
        verdicts: {
          count: 1,
          docs: [verdict('sha256', V.disputedSha256, 3, 'Suspicious', start)(900 * 1000)],
        },
      },
    });
  });

  it('answers a wrong password with the authorization error and no data', async () => {
    const token = await relay.token({ pass: 'not-the-password' });
    const { body } = await deliberate(
      [
        { type: 'sha256', value: V.sha256 },
        { type: 'md5', value: V.md5 },
      ],
      token,
    );
    expect(body).toEqual({
      errors: [
        {
          type: 'fatal',
          code: 'authorization error',
          message: 'Authorization failed: InvalidCredentialsException',
        },
      ],
    });
    expect(relay.simulator.stats.searchCalls).toBe(0);
  });

  it('keeps the other verdicts and reports the failure of one hash, as /observe does', async () => {
    relay.simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 403,
      body: 'Access to IOC denied',
      match: { filterIncludes: V.cleanSha256, active: false },
    });
    const { body } = await deliberate([
      { type: 'sha256', value: V.cleanSha256 },
      { type: 'md5', value: V.md5 },
    ]);
    const start = body.data!.verdicts.docs[0].valid_time.start_time;
    expect(body).toEqual({
      errors: [{ type: 'fatal', code: 'permission denied', message: 'Access to IOC denied' }],
      data: {
        verdicts: {
          count: 1,
          docs: [verdict('md5', V.md5, 2, 'Malicious', start)(900 * 1000)],
        },
      },
    });
  });
});

describe('/deliberate then /observe within the cache TTL (spec §9, §13)', () => {
  let relay: RelayHarness;
  let jwt: string;

  beforeAll(async () => {
    relay = await startRelayHarness({ env: { QUALYS_CACHE_TTL_SEC: '60' } });
    jwt = await relay.token();
  });
  afterAll(() => relay.close());

  it('costs the searches once, and /observe answers the same verdicts naming their judgements', async () => {
    const hashes = [
      { type: 'sha256', value: V.sha256 },
      { type: 'sha256', value: V.disputedSha256 },
    ];
    const deliberated = await post(relay, '/deliberate/observables', hashes, jwt);
    expect(relay.simulator.stats.searchCalls).toBe(4);
    relay.simulator.resetStats();

    // A mutex first: its Malicious judgement leads the answer but is not the hash's.
    const observed = await post(
      relay,
      '/observe/observables',
      [{ type: 'mutex', value: V.mutex }, ...hashes],
      jwt,
    );
    expect(searches(relay)).toEqual(both(`handle.name: "${V.mutex.replace(/\\/g, '\\\\')}"`));

    const [invoiceStart, disputedStart] = deliberated.body.data!.verdicts.docs.map(
      (doc) => doc.valid_time.start_time,
    );
    expect(deliberated.body).toEqual({
      data: {
        verdicts: {
          count: 2,
          docs: [
            verdict('sha256', V.sha256, 2, 'Malicious', invoiceStart)(),
            verdict('sha256', V.disputedSha256, 1, 'Clean', disputedStart)(),
          ],
        },
      },
    });

    // From the cache: the same answers, fetched when /deliberate asked, so the same times.
    const judgements = observed.body.data!.judgements.docs;
    const firstOf = (value: string, disposition: number) =>
      judgements.find(
        (j) => (j.observable as { value: string }).value === value && j.disposition === disposition,
      )?.id;
    expect(judgements.map((j) => [(j.observable as { type: string }).type, j.reason])).toEqual([
      ['mutex', 'Emotet mutex'],
      ['mutex', 'Unclassified mutex'],
      ['sha256', 'Trojan.GenericKD.46542'],
      ['sha256', 'Win32/Emotet.AB'],
      ['sha256', 'Win32/Emotet.AB'],
      ['sha256', 'Suspicious.Packed'],
      ['sha256', 'Trojan.GenericKD.46542'],
      ['sha256', 'Heuristic.Dropper'],
      ['sha256', 'Signed vendor agent'],
    ]);
    expect(observed.body.data!.verdicts).toEqual({
      count: 2,
      docs: [
        {
          ...verdict('sha256', V.sha256, 2, 'Malicious', invoiceStart)(),
          judgement_id: judgements[2].id,
        },
        {
          ...verdict('sha256', V.disputedSha256, 1, 'Clean', disputedStart)(),
          judgement_id: judgements[8].id,
        },
      ],
    });
    expect([firstOf(V.sha256, 2), firstOf(V.disputedSha256, 1)]).toEqual([
      judgements[2].id,
      judgements[8].id,
    ]);
    for (const start of [invoiceStart, disputedStart]) {
      expect(Date.parse(start)).toBeGreaterThanOrEqual(deliberated.before);
      expect(Date.parse(start)).toBeLessThanOrEqual(deliberated.after);
    }
  });
});

describe('/deliberate at the deadline (spec §9, §13)', () => {
  let relay: RelayHarness;
  let jwt: string;

  beforeAll(async () => {
    relay = await startRelayHarness({
      env: { RELAY_DEADLINE_MS: '1500', QUALYS_BUDGET_MS: '1500', QUALYS_TIMEOUT_MS: '5000' },
    });
    jwt = await relay.token();
  });
  afterAll(() => relay.close());

  it('gives no verdict for a hash with a search unfinished, and says so as /observe does', async () => {
    relay.simulator.injectFault({
      on: 'search',
      kind: 'hang',
      match: { filterIncludes: V.sha256, active: false },
    });
    const { body } = await post(
      relay,
      '/deliberate/observables',
      [
        { type: 'sha256', value: V.sha256 },
        { type: 'sha256', value: V.cleanSha256 },
      ],
      jwt,
    );
    const start = body.data!.verdicts.docs[0].valid_time.start_time;
    expect(body).toEqual({
      errors: [
        {
          type: 'fatal',
          code: 'connection error',
          message: 'Qualys IOC did not answer in time for 1 of 2 observables; try again later.',
        },
      ],
      data: {
        verdicts: {
          count: 1,
          docs: [verdict('sha256', V.cleanSha256, 1, 'Clean', start)()],
        },
      },
    });
  });
});
