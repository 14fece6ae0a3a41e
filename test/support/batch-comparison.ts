import { expect } from '@jest/globals';
import request from 'supertest';
import { validateObserveResponse } from '../../tools/lib/ctim-validator.js';
import type { QualysSimulator } from '../../tools/simulator/qualys-simulator.js';
import type { RelayHarness } from './relay-harness.js';

/** A relay answer: the CTIM lists under `data`, and the errors. */
export interface RelayBody {
  data?: Record<string, { count: number; docs: Record<string, unknown>[] }>;
  errors?: unknown[];
}

export interface ObservableItem {
  type: string;
  value: string;
}

/** POSTs `observables` to a relay route; a body with data must be valid CTIM (spec §5). */
export async function postObservables(
  relayUrl: string,
  route: '/observe/observables' | '/deliberate/observables',
  observables: readonly ObservableItem[],
  token: string,
): Promise<RelayBody> {
  const response = await request(relayUrl)
    .post(route)
    .set('Authorization', `Bearer ${token}`)
    .send(observables as object[])
    .expect(200)
    .expect('Content-Type', /application\/json/);
  const body = response.body as RelayBody;
  if (body.data !== undefined) expect(validateObserveResponse(body)).toEqual([]);
  return body;
}

/** A token of `relay` for the simulator `simulator` (its API URL), with an optional entity limit. */
export function tokenFor(
  relay: RelayHarness,
  simulator: QualysSimulator,
  limit?: number,
): Promise<string> {
  return relay.token({
    API_URL: simulator.url,
    PLATFORM_URL: simulator.url,
    ...(limit === undefined ? {} : { CTR_ENTITIES_LIMIT: limit }),
  });
}

/** JSON with object keys sorted, so equal values give equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/**
 * A relay answer with its transient ids taken out, comparable with another
 * relay's (spec §12: the same entities, ids aside, order free within a list).
 * Sightings, judgements and relationships are named by their content; an
 * indicator keeps its id (spec §5: deterministic, from the event id); a
 * relationship names the entities it links by theirs; a verdict names its
 * judgement by its content and keeps the length of its valid time (its start
 * is when Qualys answered, spec §13). Each list becomes its sorted entries.
 */
export function canonicalAnswer(body: RelayBody): {
  data?: Record<string, { count: number; docs: string[] }>;
  errors?: unknown[];
} {
  const names = new Map<string, string>();
  const data = body.data ?? {};
  for (const key of ['sightings', 'judgements', 'indicators']) {
    for (const doc of data[key]?.docs ?? []) {
      const { id, ...content } = doc;
      names.set(String(id), key === 'indicators' ? String(id) : `${key} ${stableJson(content)}`);
    }
  }
  const name = (id: unknown) => names.get(String(id)) ?? `unknown ref ${String(id)}`;
  const canonicalDoc = (key: string, doc: Record<string, unknown>): string => {
    if (key === 'indicators') return stableJson(doc);
    if (key === 'relationships') {
      const { id: _id, source_ref, target_ref, ...content } = doc;
      return stableJson({ ...content, source: name(source_ref), target: name(target_ref) });
    }
    if (key === 'verdicts') {
      const { judgement_id, valid_time, ...content } = doc;
      const { start_time, end_time } = valid_time as { start_time: string; end_time: string };
      return stableJson({
        ...content,
        ...(judgement_id === undefined ? {} : { judgement: name(judgement_id) }),
        valid_ms: Date.parse(end_time) - Date.parse(start_time),
      });
    }
    return names.get(String(doc.id)) as string;
  };
  const canonical: Record<string, { count: number; docs: string[] }> = {};
  for (const [key, list] of Object.entries(data)) {
    canonical[key] = {
      count: list.count,
      docs: list.docs.map((doc) => canonicalDoc(key, doc)).sort(),
    };
  }
  return {
    ...(body.errors === undefined ? {} : { errors: body.errors }),
    ...(body.data === undefined ? {} : { data: canonical }),
  };
}

/** The quoted values of a filter (spec §4 escaping undone), each once, in filter order. */
export function filterValues(filter: string): string[] {
  const values = [...filter.matchAll(/: "((?:[^"\\]|\\.)*)"/g)].map((match) =>
    match[1].replace(/\\(["\\])/g, '$1'),
  );
  return [...new Set(values)];
}

/**
 * The searches a simulator received, each as `<state> <pageSize> <labels>`
 * (labels of the values its filter asks about, in filter order; a value
 * without a label is written as is), sorted: the exact calls spec §12
 * implies, whatever order the relay sent them in.
 */
export function searchesOf(
  simulator: QualysSimulator,
  labels: ReadonlyMap<string, string> = new Map(),
): string[] {
  return simulator.stats.requests
    .filter((entry) => entry.method === 'GET' && entry.path.endsWith('/events'))
    .map((entry) => {
      const state = entry.query.state === 'true' ? 'active' : 'historical';
      const values = filterValues(entry.query.filter ?? '').map(
        (value) => labels.get(value) ?? value,
      );
      return `${state} ${entry.query.pageSize} ${values.join(',')}`;
    })
    .sort();
}
