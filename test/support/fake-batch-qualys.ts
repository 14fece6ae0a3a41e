import { createHash } from 'node:crypto';
import type {
  BatchAnswer,
  BatchSearch,
  BatchSearchPort,
} from '../../src/qualys/batching/batch-search-port.js';
import { encodedFilterLength } from '../../src/qualys/batching/batch-filter.js';
import type { QualysEvent } from '../../src/qualys/qualys-event.js';

/** An event and whether it is active (`state=true`). */
export interface FakeEvent {
  active: boolean;
  event: QualysEvent;
}

/**
 * How this Qualys matches exact fields. `strict`: the field equals the value.
 * `lenient`: also in another case or address form, and a hash also matches
 * through `indicator2[].sha256` / `.md5` — what a real Qualys might do, and
 * what the relay must not assume either way (spec §12).
 */
export type FakeSemantics = 'strict' | 'lenient';

/**
 * The order of an answer's events: the data set's, or one of each filter's
 * own (a Qualys whose order the relay cannot know: an observable's own
 * search may list its events in another order than a batch does).
 */
export type FakeOrder = 'data' | 'per-filter';

const FIELD_PATHS: Readonly<Record<string, { path: readonly string[]; contains: boolean }>> = {
  'file.hash.md5': { path: ['file', 'md5'], contains: false },
  'file.hash.sha256': { path: ['file', 'sha256'], contains: false },
  'network.local.address.ip': { path: ['network', 'localIP'], contains: false },
  'network.remote.address.ip': { path: ['network', 'remoteIP'], contains: false },
  'file.name': { path: ['file', 'fileName'], contains: true },
  'file.fullPath': { path: ['file', 'fullPath'], contains: true },
  'network.remote.address.fqdn': { path: ['network', 'remoteDns'], contains: true },
  'handle.name': { path: ['handle', 'name'], contains: true },
};

/** Every `field: "value"` of a filter: the relay's filters are disjunctions, parentheses only group. */
const CLAUSE = /([A-Za-z][A-Za-z0-9.]*): "((?:[^"\\]|\\.)*)"/g;

export function clausesOf(filter: string): { field: string; value: string }[] {
  const clauses = [...filter.matchAll(CLAUSE)].map((match) => ({
    field: match[1],
    value: match[2].replace(/\\(["\\])/g, '$1'),
  }));
  if (clauses.length === 0) throw new Error(`no clause in filter ${filter}`);
  return clauses;
}

/**
 * An in-memory Qualys for the batching engine's specs: evaluates the filter
 * against its events (exact fields by `semantics`, contains fields as
 * contains), answers at most the page size in data order, refuses filters
 * longer than `maxFilterLength` (URL-encoded) with 400, answers `too-large`
 * past `maxAnswerEvents`, and records every search.
 */
export class FakeBatchQualys implements BatchSearchPort {
  readonly searches: BatchSearch[] = [];
  /** Throws this for a search it returns something for (an injected error). */
  failWith: ((search: BatchSearch) => Error | undefined) | undefined;
  maxFilterLength = Number.POSITIVE_INFINITY;
  /** Batches (observables > 1) with more matching events than this answer too-large. */
  maxAnswerEvents = Number.POSITIVE_INFINITY;
  fetchedAt = 1_700_000_000_000;

  constructor(
    private readonly events: readonly FakeEvent[],
    private readonly semantics: FakeSemantics = 'strict',
    private readonly order: FakeOrder = 'data',
  ) {}

  search(search: BatchSearch): Promise<BatchAnswer> {
    this.searches.push(search);
    const failure = this.failWith?.(search);
    if (failure !== undefined) return Promise.reject(failure);
    if (encodedFilterLength(search.filter) > this.maxFilterLength) {
      return Promise.resolve(
        search.observables > 1
          ? { kind: 'refused', status: 400 }
          : { kind: 'not-found', fetchedAt: this.fetchedAt },
      );
    }
    const clauses = clausesOf(search.filter);
    const matching = this.events
      .filter(({ active }) => active === search.active)
      .filter(({ event }) => clauses.some((clause) => this.matches(event, clause)))
      .map(({ event }) => event);
    if (this.order === 'per-filter') {
      const rank = (event: QualysEvent) =>
        createHash('sha256')
          .update(`${search.filter}\0${String(event.id)}`)
          .digest('hex');
      const ranks = new Map(matching.map((event) => [event, rank(event)]));
      matching.sort((a, b) => ((ranks.get(a) as string) < (ranks.get(b) as string) ? -1 : 1));
    }
    if (search.observables > 1 && matching.length > this.maxAnswerEvents) {
      return Promise.resolve({ kind: 'too-large' });
    }
    const events = matching.slice(0, search.pageSize);
    if (events.length === 0)
      return Promise.resolve({ kind: 'not-found', fetchedAt: this.fetchedAt });
    return Promise.resolve({
      kind: 'events',
      events,
      fetchedAt: this.fetchedAt,
      bytes: JSON.stringify(events).length,
    });
  }

  private matches(event: QualysEvent, clause: { field: string; value: string }): boolean {
    const field = FIELD_PATHS[clause.field];
    if (field === undefined) throw new Error(`unknown field ${clause.field}`);
    const found = valueAt(event, field.path);
    if (field.contains) return typeof found === 'string' && found.includes(clause.value);
    if (found === clause.value) return true;
    if (this.semantics === 'strict') return false;
    const wanted = looseForm(clause.value);
    if (typeof found === 'string' && looseForm(found) === wanted) return true;
    if (!clause.field.startsWith('file.hash.')) return false;
    const hash = clause.field.slice('file.hash.'.length);
    return (event.indicator2 ?? []).some(
      (entry) => typeof entry[hash] === 'string' && looseForm(entry[hash]) === wanted,
    );
  }
}

function valueAt(source: unknown, path: readonly string[]): unknown {
  let current = source;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Lower case, and an IPv6 address in its compressed form, `::ffff:a.b.c.d` as `a.b.c.d`. */
function looseForm(text: string): string {
  const lower = text.toLowerCase();
  if (!lower.includes(':')) return lower;
  try {
    const written = new URL(`http://[${lower}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(written);
    if (mapped === null) return written;
    const high = parseInt(mapped[1], 16);
    const low = parseInt(mapped[2], 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  } catch {
    return lower;
  }
}
