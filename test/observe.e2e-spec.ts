import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { validateObserveResponse } from '../tools/lib/ctim-validator.js';
import {
  expectedLinks,
  linksOf,
  transientId,
  type RelationshipLike,
} from './support/observe-expectations.js';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

type Body = {
  data?: Record<string, { count: number; docs: Record<string, unknown>[] }>;
  errors?: unknown[];
};

const V = SIMULATOR_VALUES;
const eventId = (n: number) => `5e1a7c01-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('POST /observe/observables (spec §5)', () => {
  let relay: RelayHarness;
  let jwt: string;

  beforeAll(async () => {
    relay = await startRelayHarness();
    jwt = await relay.token();
  });
  afterAll(() => relay.close());
  beforeEach(() => {
    relay.simulator.clearFaults();
    relay.simulator.resetStats();
  });

  const observe = async (observables: unknown, token = jwt): Promise<Body> => {
    const response = await request(relay.url)
      .post('/observe/observables')
      .set('Authorization', `Bearer ${token}`)
      .send(observables as object)
      .expect(200)
      .expect('Content-Type', /application\/json/);
    const body = response.body as Body;
    expect(validateObserveResponse(body)).toEqual([]);
    return body;
  };

  it('maps the active and the historical event of a mutex to exact CTIM', async () => {
    const observable = { type: 'mutex', value: V.mutex };
    const body = await observe([observable]);

    const laptop = {
      type: 'endpoint',
      os: 'Microsoft Windows 10 Enterprise 22H2 64-bit N/A Build 19045',
      observables: [
        { type: 'hostname', value: 'FIN-LT-0042' },
        { type: 'ip', value: '10.12.4.21' },
        { type: 'mac_address', value: '00:50:56:a1:3c:07' },
      ],
      observed_time: {
        start_time: '2024-05-14T09:13:20.000Z',
        end_time: '2024-05-14T09:13:20.000Z',
      },
    };
    const desktop = {
      type: 'endpoint',
      os: 'Microsoft Windows 11 Pro 23H2 64-bit Build 22631',
      observables: [
        { type: 'hostname', value: 'HR-DT-0107' },
        { type: 'ip', value: '10.12.9.107' },
        { type: 'mac_address', value: '3c:52:82:4f:90:1d' },
      ],
      observed_time: {
        start_time: '2024-03-30T11:20:45.000Z',
        end_time: '2024-03-30T11:20:45.000Z',
      },
    };
    const sighting = (n: number, active: boolean, severity: string, target: typeof laptop) => ({
      id: transientId('sighting'),
      type: 'sighting',
      schema_version: '1.0.17',
      source: 'Qualys IOC',
      confidence: 'High',
      count: 1,
      sensor: 'endpoint',
      external_ids: [eventId(n)],
      external_references: [],
      observables: [observable],
      observed_time: target.observed_time,
      description: `A Qualys IOC event related to "${V.mutex}"`,
      severity,
      targets: [target],
      relations: [],
      data: {
        columns: [{ name: 'Active', type: 'string' }],
        rows: [[active ? 'True' : 'False']],
        row_count: 1,
      },
    });
    const indicator = (id: string, n: number, title: string, severity: string) => ({
      id: `transient:indicator-${id}`,
      type: 'indicator',
      schema_version: '1.0.17',
      source: 'Qualys IOC',
      producer: 'Qualys IOC',
      confidence: 'High',
      title,
      severity,
      valid_time: {},
      external_ids: [eventId(n)],
    });
    const judgement = (
      n: number,
      severity: string,
      disposition: number,
      name: string,
      reason: string,
    ) => ({
      id: transientId('judgement'),
      type: 'judgement',
      schema_version: '1.0.17',
      source: 'Qualys IOC',
      confidence: 'High',
      priority: 90,
      observable,
      severity,
      disposition,
      disposition_name: name,
      reason,
      valid_time: {},
      external_ids: [eventId(n)],
      external_references: [],
    });

    expect(body).toEqual({
      data: {
        sightings: {
          count: 2,
          docs: [sighting(4, true, 'High', laptop), sighting(13, false, 'Low', desktop)],
        },
        // uuid v5 of the event id in the X.500 namespace, as the Python relay computed them.
        indicators: {
          count: 2,
          docs: [
            indicator('255ba43f-a338-5d13-8085-dc171c873870', 4, 'Malicious Process event', 'High'),
            indicator(
              '61978d6e-18c5-5102-ab4b-0c30a58582ee',
              13,
              'Suspicious Low File event',
              'Low',
            ),
          ],
        },
        judgements: {
          count: 2,
          docs: [
            judgement(4, 'High', 2, 'Malicious', 'Emotet mutex'),
            judgement(13, 'Low', 5, 'Unknown', 'Unclassified mutex'),
          ],
        },
        relationships: { count: 6, docs: expect.any(Array) },
      },
    });

    const data = body.data!;
    const relationships = data.relationships.docs as unknown as RelationshipLike[];
    for (const relationship of relationships) {
      expect(relationship).toEqual({
        id: transientId('relationship'),
        type: 'relationship',
        schema_version: '1.0.17',
        source: 'Qualys IOC',
        external_ids: [],
        source_ref: expect.any(String),
        target_ref: expect.any(String),
        relationship_type: expect.stringMatching(/^(based-on|sighting-of)$/),
      });
    }
    const [s4, s13] = data.sightings.docs as { id: string }[];
    const [i4, i13] = data.indicators.docs as { id: string }[];
    const [j4, j13] = data.judgements.docs as { id: string }[];
    expect(linksOf(relationships)).toEqual([
      ...expectedLinks(s4, [i4], [j4]),
      ...expectedLinks(s13, [i13], [j13]),
    ]);
  });

  it('searches active and historical events with the spec filter and the entity limit as page size', async () => {
    await observe([{ type: 'ip', value: V.ip }]);
    const searches = relay.simulator.stats.requests
      .filter((r) => r.path === '/ioc/events')
      .map((r) => r.query)
      .sort((a, b) => String(a.state).localeCompare(String(b.state)));
    expect(searches).toEqual([
      {
        filter: `network.local.address.ip: "${V.ip}" or network.remote.address.ip: "${V.ip}"`,
        pageSize: '100',
        state: 'true',
      },
      {
        filter: `network.local.address.ip: "${V.ip}" or network.remote.address.ip: "${V.ip}"`,
        pageSize: '100',
      },
    ]);
  });

  it('escapes " and \\ in values, so the simulator finds the file by its exact name', async () => {
    const body = await observe([{ type: 'file_name', value: V.quotedFileName }]);
    expect(body.data!.sightings.docs.map((s) => s.external_ids)).toEqual([
      [eventId(8)],
      [eventId(15)],
    ]);
    const filters = relay.simulator.stats.requests.map((r) => r.query.filter);
    expect(filters).toEqual([
      'file.name: "report \\"Q2\\" \\\\ final.sh"',
      'file.name: "report \\"Q2\\" \\\\ final.sh"',
    ]);
  });

  it('answers {"data":{}} for an empty array, unknown types and values that match nothing', async () => {
    expect(await observe([])).toEqual({ data: {} });
    expect(
      await observe([
        { type: 'url', value: 'http://x' },
        { type: 'email', value: 'a@b' },
      ]),
    ).toEqual({ data: {} });
    expect(relay.simulator.stats.searchCalls).toBe(0);
    expect(await observe([{ type: 'sha256', value: V.unknownSha256 }])).toEqual({ data: {} });
  });

  it('searches a repeated observable once and answers it once', async () => {
    const once = await observe([{ type: 'domain', value: V.domain }]);
    relay.simulator.resetStats();
    const twice = await observe([
      { type: 'domain', value: V.domain },
      { type: 'domain', value: V.domain, extra: 'ignored' },
    ]);
    expect(relay.simulator.stats.searchCalls).toBe(2);
    expect(twice.data!.sightings.count).toBe(once.data!.sightings.count);
    expect(twice.data!.sightings.docs.map((s) => s.external_ids)).toEqual(
      once.data!.sightings.docs.map((s) => s.external_ids),
    );
  });

  it('caps sightings, indicators and judgements per observable, active events first', async () => {
    const token = await relay.token({ CTR_ENTITIES_LIMIT: 3 });
    const body = await observe(
      [
        { type: 'sha256', value: V.noisySha256 },
        { type: 'ip', value: V.noisyIp },
      ],
      token,
    );
    expect(body.data!.sightings.count).toBe(6);
    expect(body.data!.indicators.count).toBe(6);
    expect(body.data!.judgements.count).toBe(6);
    expect(
      body.data!.sightings.docs.map((s) => (s.data as { rows: string[][] }).rows[0][0]),
    ).toEqual(['True', 'True', 'True', 'True', 'True', 'True']);
    const pageSizes = relay.simulator.stats.requests.map((r) => r.query.pageSize);
    expect(pageSizes).toEqual(['3', '3', '3', '3']);
  });

  it('never asks Qualys for pages larger than CTR_ENTITIES_LIMIT_MAX, whatever the token says', async () => {
    const token = await relay.token({ CTR_ENTITIES_LIMIT: Number.MAX_SAFE_INTEGER });
    const body = await observe([{ type: 'md5', value: V.md5 }], token);
    expect(body.data!.sightings.count).toBe(4);
    expect(
      relay.simulator.stats.requests
        .filter((r) => r.path === '/ioc/events')
        .map((r) => r.query.pageSize),
    ).toEqual(['1000', '1000']);
  });

  it('falls back to the default limit when the token carries a bad one', async () => {
    for (const bad of [0, -4, 2.5, 'many']) {
      relay.simulator.resetStats();
      const token = await relay.token({ CTR_ENTITIES_LIMIT: bad as number });
      await observe([{ type: 'md5', value: V.md5 }], token);
      expect(relay.simulator.stats.requests.map((r) => r.query.pageSize)).toEqual(['100', '100']);
    }
  });

  it('reuses one Qualys token across requests', async () => {
    await observe([{ type: 'md5', value: V.md5 }]);
    relay.simulator.resetStats();
    for (let i = 0; i < 5; i++) await observe([{ type: 'md5', value: V.md5 }]);
    expect(relay.simulator.stats.authCalls).toBe(0);
    expect(relay.simulator.stats.searchCalls).toBe(10);
  });

  it('fetches a fresh token once after Qualys refuses the cached one, and succeeds', async () => {
    relay.simulator.revokeTokens();
    const body = await observe([{ type: 'md5', value: V.md5 }]);
    expect(body.data!.sightings.count).toBe(4);
    expect(relay.simulator.stats.authCalls).toBe(1);
  });

  it('keeps the successes and reports the failure when one observable fails', async () => {
    relay.simulator.injectFault({
      on: 'search',
      kind: 'status',
      status: 403,
      body: 'Access to IOC denied',
      match: { filterIncludes: V.domain },
    });
    const body = await observe([
      { type: 'mutex', value: V.mutex },
      { type: 'domain', value: V.domain },
    ]);
    expect(body.errors).toEqual([
      { type: 'fatal', code: 'permission denied', message: 'Access to IOC denied' },
    ]);
    expect(body.data!.sightings.docs.map((s) => s.observables)).toEqual([
      [{ type: 'mutex', value: V.mutex }],
      [{ type: 'mutex', value: V.mutex }],
    ]);
  });
});

describe('how the relay calls Qualys (spec §7), with QUALYS_API_VERSION=v1', () => {
  let relay: RelayHarness;
  const version = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;

  beforeAll(async () => {
    relay = await startRelayHarness({ env: { QUALYS_API_VERSION: 'v1' } });
  });
  afterAll(() => relay.close());

  it('searches /ioc/v1/events, names the relay in User-Agent and asks for JSON', async () => {
    const token = await relay.token();
    const response = await request(relay.url)
      .post('/observe/observables')
      .set('Authorization', `Bearer ${token}`)
      .send([{ type: 'md5', value: V.md5 }])
      .expect(200);
    expect((response.body as Body).data!.sightings.count).toBe(4);

    const userAgent = `qualys-ioc-relay/${version} (Cisco XDR relay)`;
    const calls = relay.simulator.stats.requests.map((r) => ({
      call: `${r.method} ${r.path}`,
      userAgent: r.headers['user-agent'],
      accept: r.path === '/auth' ? undefined : r.headers.accept,
      contentType: r.headers['content-type'],
      bearer: /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(String(r.headers.authorization)),
    }));
    expect(calls).toEqual([
      {
        call: 'POST /auth',
        userAgent,
        accept: undefined,
        contentType: 'application/x-www-form-urlencoded',
        bearer: false,
      },
      {
        call: 'GET /ioc/v1/events',
        userAgent,
        accept: 'application/json',
        contentType: undefined,
        bearer: true,
      },
      {
        call: 'GET /ioc/v1/events',
        userAgent,
        accept: 'application/json',
        contentType: undefined,
        bearer: true,
      },
    ]);
  });
});
