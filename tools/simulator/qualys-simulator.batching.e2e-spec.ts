import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  SIMULATOR_EVENTS,
  SIMULATOR_VALUES,
  UNATTRIBUTABLE_EVENTS,
  UNATTRIBUTABLE_VALUES,
} from './dataset.js';
import { encodedLength } from './event-search.js';
import { startQualysSimulator, type QualysSimulator } from './qualys-simulator.js';
import { SimulatorClient } from './simulator-client.js';

const V = SIMULATOR_VALUES;
const U = UNATTRIBUTABLE_VALUES;

const sha = (value: string) => `file.hash.sha256: "${value}"`;
const ip = (value: string) =>
  `network.local.address.ip: "${value}" or network.remote.address.ip: "${value}"`;
const batch = (...filters: string[]) => filters.map((filter) => `(${filter})`).join(' or ');

describe('Qualys simulator: batched searches (spec §12)', () => {
  let simulator: QualysSimulator;
  let loose: QualysSimulator;
  let client: SimulatorClient;
  let token: string;
  let looseToken: string;

  beforeAll(async () => {
    simulator = await startQualysSimulator({ containsMatch: true });
    loose = await startQualysSimulator({
      events: [...SIMULATOR_EVENTS, ...UNATTRIBUTABLE_EVENTS],
      looseHashes: true,
    });
    client = new SimulatorClient(simulator.url);
    token = await client.requestToken();
    looseToken = await new SimulatorClient(loose.url).requestToken();
  });

  afterAll(async () => {
    await Promise.all([simulator.close(), loose.close()]);
  });

  beforeEach(() => {
    simulator.resetStats();
    simulator.setMaxFilterLength(null);
  });

  async function search(
    filter: string,
    pageSize: number,
    active = true,
    on = simulator,
  ): Promise<{ status: number; body: string }> {
    const query = new URLSearchParams({ filter, pageSize: String(pageSize) });
    if (active) query.set('state', 'true');
    const response = await fetch(`${on.url}/ioc/events?${query.toString()}`, {
      headers: { Authorization: `Bearer ${on === simulator ? token : looseToken}` },
    });
    return { status: response.status, body: await response.text() };
  }

  const ids = (body: string) => (JSON.parse(body) as { id: string }[]).map((event) => event.id);

  it("answers a batch's union by field, up to its page size, and counts it as batched", async () => {
    const filter = batch(sha(V.sha256), ip(V.localIp), `network.remote.address.fqdn: "malware-c2"`);
    const union = await search(filter, 1000);
    expect(union.status).toBe(200);
    // sha256: events 1 and 2; local IP: event 3; the domain (contains): event 3.
    expect(ids(union.body)).toEqual(
      [1, 2, 3].map((n) => `5e1a7c01-0000-4000-8000-00000000000${n}`),
    );
    expect(ids((await search(filter, 2)).body)).toHaveLength(2);
    const alone = await search(sha(V.sha256), 10);
    expect(ids(alone.body)).toHaveLength(2);
    const { searchCalls, batchedSearchCalls } = await client.stats();
    expect({ searchCalls, batchedSearchCalls }).toEqual({ searchCalls: 3, batchedSearchCalls: 2 });
  });

  it('refuses a filter longer than its bound with 400, set at start or through the admin API', async () => {
    const filter = batch(sha(V.sha256), sha(V.noisySha256));
    const length = encodedLength(filter);
    await client.setMaxFilterLength(length - 1);
    expect(await search(filter, 10)).toEqual({
      status: 400,
      body: `Invalid filter: longer than ${length - 1} characters`,
    });
    await client.setMaxFilterLength(length);
    expect((await search(filter, 10)).status).toBe(200);
    const bounded = await startQualysSimulator({ maxFilterLength: 50 });
    const exact = await startQualysSimulator();
    try {
      const exactToken = await new SimulatorClient(exact.url).requestToken();
      const domainSearch = new URLSearchParams({
        filter: 'network.remote.address.fqdn: "malware-c2"',
        state: 'true',
      });
      const response = await fetch(`${exact.url}/ioc/events?${domainSearch.toString()}`, {
        headers: { Authorization: `Bearer ${exactToken}` },
      });
      // Without containsMatch, a part of a domain finds nothing (whole values only).
      expect([response.status, await response.text()]).toEqual([200, '[]']);
    } finally {
      await exact.close();
    }
    try {
      const boundedToken = await new SimulatorClient(bounded.url).requestToken();
      const response = await fetch(
        `${bounded.url}/ioc/events?${new URLSearchParams({ filter }).toString()}`,
        { headers: { Authorization: `Bearer ${boundedToken}` } },
      );
      expect([response.status, await response.text()]).toEqual([
        400,
        'Invalid filter: longer than 50 characters',
      ]);
    } finally {
      await bounded.close();
    }
    const refused = await fetch(`${simulator.url}/__simulator/max-filter-length`, {
      method: 'POST',
      body: '{"length": 0}',
    });
    expect([refused.status, await refused.text()]).toEqual([
      400,
      'Body must be {"length": <positive integer> | null}',
    ]);
  });

  it('serves, when asked to, events whose hash the relay cannot attribute by field', async () => {
    const [carrierActive, , upperActive] = UNATTRIBUTABLE_EVENTS.map((entry) => entry.event.id);
    expect(ids((await search(sha(U.verdictOnlySha256), 10, true, loose)).body)).toEqual([
      carrierActive,
    ]);
    expect(ids((await search(sha(U.upperCaseSha256), 10, true, loose)).body)).toEqual([
      upperActive,
    ]);
    expect((await search(sha(U.verdictOnlySha256), 10)).body).toBe('[]');
    const both = batch(sha(U.carrierSha256), sha(U.verdictOnlySha256));
    expect(ids((await search(both, 20, true, loose)).body)).toEqual([carrierActive]);
  });
});
