import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { setMaxListeners } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimulatorServer } from '../lib/simulator-server.js';
import { ADMIN_PREFIX, handleAdminRequest, type AdminControls } from './admin-routes.js';
import { SIMULATOR_EVENTS, type SimulatorEvent } from './dataset.js';
import { EventIndex, parseSearchQuery, SearchQueryError } from './event-search.js';
import { respondWithFault, type FaultEnvironment } from './fault-responder.js';
import {
  FaultBook,
  randomStatusFault,
  validateFaultSpec,
  type FaultSpec,
  type FaultTarget,
} from './faults.js';
import {
  answerFailure,
  readBody,
  send,
  sendJson,
  sendMethodNotAllowed,
  sendText,
} from './http-io.js';
import { batchedObservables } from './filter-parser.js';
import { createPrng } from './prng.js';
import { SearchLog, type SearchLogEntry } from './search-log.js';
import { syntheticEventsJson } from './synthetic-events.js';
import {
  epochMs,
  SubscriptionLimits,
  validateLimitsPatch,
  type LimitStats,
  type SubscriptionLimitSettings,
  type SubscriptionLimitsPatch,
} from './subscription-limits.js';
import { TokenStore } from './token-store.js';

/** The demo account. A public credential: printing it (demo, CLI) is fine. */
export const SIMULATOR_USER = 'relay-demo';
/** Contains `&`, `=`, `+` and `%`, so a relay that does not form-encode the password fails (spec §7). */
export const SIMULATOR_PASSWORD = 'Sim&ulat=or+50%pass';

export const DEFAULT_TOKEN_TTL_MS = 4 * 60 * 60 * 1000; // spec §7: tokens live 4 hours
export const DEFAULT_MAX_RECORDED_REQUESTS = 1000;
const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/**
 * The subscription limits (`concurrencyLimit`, `rateLimit`, `refusalStatus`,
 * `concurrencyHeaderSpelling`, `rateRefusalWait`) come from
 * `SubscriptionLimitsPatch`: per user, on searches only; unset = unlimited.
 */
export interface SimulatorOptions extends SubscriptionLimitsPatch {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 0 (an ephemeral port, see `QualysSimulator.port`). */
  port?: number;
  /** Delay before every Qualys answer (not admin ones); default 0. */
  latencyMs?: number;
  /** Delay before the search answers of these users instead of `latencyMs` (a slow subscription). */
  userLatencyMs?: Record<string, number>;
  /** username → password; default `{ [SIMULATOR_USER]: SIMULATOR_PASSWORD }`. */
  credentials?: Record<string, string>;
  /** Lifetime of issued tokens; default 4 hours. */
  tokenTtlMs?: number;
  /** Replaces the built-in data set. */
  events?: readonly SimulatorEvent[];
  /**
   * When above 0, every search answers this many synthetic events (at most
   * its page size) instead of the data set's matches: full pages on demand.
   */
  eventsPerSearch?: number;
  /**
   * Searches whose filter, percent-encoded, is longer than this answer 400
   * (a Qualys that refuses long batched filters, spec §12); null = no bound (default).
   */
  maxFilterLength?: number | null;
  /**
   * Contains fields (file name, full path, domain, mutex) match a value
   * anywhere in their text, as Qualys does (spec §12); default false (equality).
   */
  containsMatch?: boolean;
  /**
   * Hash filters also match in another case and through `indicator2[].sha256`
   * / `.md5` (events the relay cannot attribute, spec §12); default false.
   */
  looseHashes?: boolean;
  /** Probability (0–1) that a search answers a random 429, 503 or 500; default 0. */
  randomFaultRate?: number;
  /** Seed of the random fault sequence; default 1. */
  seed?: number;
  /** Only the latest N are kept in `stats.requests` and `stats.searches` (flat memory in soaks). */
  maxRecordedRequests?: number;
  /**
   * Serve https with this certificate (a private-CA one in tests: the relay
   * reaches it only when `NODE_EXTRA_CA_CERTS` names the CA); plain http when absent.
   */
  tls?: { cert: string | Buffer; key: string | Buffer } | null;
}

/** A Qualys request as the simulator received it (admin requests are not recorded). */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Query parameters; the first value wins when a name repeats. */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SimulatorStats extends LimitStats {
  /** `POST /auth` requests, whatever their outcome. */
  authCalls: number;
  /** `GET /ioc/events` and `GET /ioc/v1/events` requests, whatever their outcome (refusals too). */
  searchCalls: number;
  /**
   * Those of `searchCalls` whose filter is a batch (spec §12): a top-level
   * `or` of two or more parenthesised groups, `(f1) or (f2) …`.
   */
  batchedSearchCalls: number;
  /** The latest requests, oldest first. */
  requests: RecordedRequest[];
  /** The latest searches, oldest first, refused ones included. */
  searches: SearchLogEntry[];
}

export interface QualysSimulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`: the relay's `API_URL`. */
  readonly url: string;
  readonly port: number;
  /** A snapshot: read it again after more requests. */
  readonly stats: SimulatorStats;
  /** Streaming fault responses (huge/endless body) still writing. */
  readonly activeStreams: number;
  /** Stops listening and ends every connection, including hanging and endless responses. */
  close(): Promise<void>;
  resetStats(): void;
  setLatency(ms: number): void;
  /** The bound of `maxFilterLength` from now on; null removes it. */
  setMaxFilterLength(length: number | null): void;
  /** The delay of `user`'s search answers from now on; `undefined` returns it to `latencyMs`. */
  setUserLatency(user: string, ms: number | undefined): void;
  /** Validates and adds a fault; throws `FaultSpecError` when invalid. Returns the stored spec. */
  injectFault(spec: FaultSpec): FaultSpec;
  clearFaults(): void;
  /** Every token issued so far becomes invalid: the next search with it gets 401. */
  revokeTokens(): void;
  /** Every token issued so far expires within `ms`. */
  expireTokensIn(ms: number): void;
  /** The subscription limits in force (a copy). */
  readonly limits: SubscriptionLimitSettings;
  /**
   * Validates and applies a patch (throws `LimitSettingsError` when invalid);
   * answers the limits in force. Naming `rateLimit` starts every window afresh.
   */
  setLimits(patch: SubscriptionLimitsPatch): SubscriptionLimitSettings;
}

export async function startQualysSimulator(
  options: SimulatorOptions = {},
): Promise<QualysSimulator> {
  const simulator = new Simulator(resolveOptions(options));
  await simulator.listen();
  return simulator;
}

type Settings = Required<Omit<SimulatorOptions, keyof SubscriptionLimitsPatch>> & {
  limits: SubscriptionLimitsPatch;
};

/** A search on arrival: whose it is (by token) and, when the limits refused it, the refusal. */
interface Arrival {
  user: string | undefined;
  refusal: { status: number; body: string; headers: OutgoingHttpHeaders } | undefined;
}

type Route = 'auth' | 'search';

/** Real Qualys serves events with and without an API version segment (spec §7). */
const ROUTES: ReadonlyMap<string, { route: Route; method: string }> = new Map([
  ['/auth', { route: 'auth', method: 'POST' }],
  ['/ioc/events', { route: 'search', method: 'GET' }],
  ['/ioc/v1/events', { route: 'search', method: 'GET' }],
]);

class Simulator implements QualysSimulator {
  private readonly server: SimulatorServer;
  private readonly openStreams = new Set<ServerResponse>();
  /** Aborted by close(): cancels latency waits and streaming responses. */
  private readonly lifetime = new AbortController();
  private readonly credentials: ReadonlyMap<string, string>;
  /** Issued tokens and their users: a search is charged to the subscription of its token. */
  private readonly tokens: TokenStore;
  private readonly limitsState: SubscriptionLimits;
  private readonly searchLog: SearchLog;
  private readonly index: EventIndex;
  private readonly faults = new FaultBook();
  private readonly random: () => number;
  private latencyMs: number;
  private readonly userLatencyMs: Map<string, number>;
  private authCalls = 0;
  private searchCalls = 0;
  private batchedSearchCalls = 0;
  private maxFilterLength: number | null;
  private requests: RecordedRequest[] = [];

  constructor(private readonly settings: Settings) {
    // Every concurrent request waits on this one signal: many listeners are expected.
    setMaxListeners(0, this.lifetime.signal);
    this.credentials = new Map(Object.entries(settings.credentials));
    this.tokens = new TokenStore(settings.tokenTtlMs);
    this.limitsState = new SubscriptionLimits(settings.limits);
    this.searchLog = new SearchLog(settings.maxRecordedRequests);
    this.index = new EventIndex(settings.events, {
      containsMatch: settings.containsMatch,
      looseHashes: settings.looseHashes,
    });
    this.maxFilterLength = settings.maxFilterLength;
    this.random = createPrng(settings.seed);
    this.latencyMs = settings.latencyMs;
    this.userLatencyMs = new Map(Object.entries(settings.userLatencyMs));
    const handler = (request: IncomingMessage, response: ServerResponse) =>
      this.onRequest(request, response);
    this.server = new SimulatorServer(
      settings.tls ? createHttpsServer(settings.tls, handler) : createServer(handler),
    );
  }

  listen(): Promise<void> {
    return this.server.listen(this.settings.host, this.settings.port);
  }

  get url(): string {
    return this.server.url;
  }

  get port(): number {
    return this.server.port;
  }

  get stats(): SimulatorStats {
    return {
      authCalls: this.authCalls,
      searchCalls: this.searchCalls,
      batchedSearchCalls: this.batchedSearchCalls,
      requests: [...this.requests],
      searches: this.searchLog.snapshot(),
      ...this.limitsState.stats(),
    };
  }

  get activeStreams(): number {
    return this.openStreams.size;
  }

  close(): Promise<void> {
    this.lifetime.abort();
    return this.server.close();
  }

  resetStats(): void {
    this.authCalls = 0;
    this.searchCalls = 0;
    this.batchedSearchCalls = 0;
    this.requests = [];
    this.searchLog.clear();
    this.limitsState.resetStats();
  }

  setLatency(ms: number): void {
    this.latencyMs = nonNegative(ms, 'latency');
  }

  setMaxFilterLength(length: number | null): void {
    this.maxFilterLength = maxFilterLengthOf(length);
  }

  setUserLatency(user: string, ms: number | undefined): void {
    if (ms === undefined) this.userLatencyMs.delete(user);
    else this.userLatencyMs.set(user, nonNegative(ms, 'latency'));
  }

  injectFault(spec: FaultSpec): FaultSpec {
    const valid = validateFaultSpec(spec);
    this.faults.add(valid);
    return valid;
  }

  clearFaults(): void {
    this.faults.clear();
  }

  revokeTokens(): void {
    this.tokens.revokeAll();
  }

  expireTokensIn(ms: number): void {
    this.tokens.expireAllIn(nonNegative(ms, 'ms'));
  }

  get limits(): SubscriptionLimitSettings {
    return this.limitsState.current;
  }

  setLimits(patch: SubscriptionLimitsPatch): SubscriptionLimitSettings {
    return this.limitsState.update(patch);
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    this.handle(request, response).catch((error: unknown) =>
      answerFailure(request, response, error, 'qualys simulator'),
    );
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    const endpoint = ROUTES.get(url.pathname);
    // Decided before the first await: the search runs from arrival, and its
    // end is watched before the client can possibly have gone.
    const search =
      endpoint?.route === 'search' && endpoint.method === request.method
        ? this.arriveSearch(request, response)
        : undefined;
    const body = await readBody(request, MAX_REQUEST_BODY_BYTES);
    if (url.pathname.startsWith(ADMIN_PREFIX)) {
      handleAdminRequest(request, response, url.pathname, body, this.adminControls());
      return;
    }
    this.record(request, url, body);

    if (endpoint === undefined || endpoint.method !== request.method) {
      if (!(await this.delay())) return;
      if (endpoint === undefined) sendText(response, 404, 'Not Found');
      else sendMethodNotAllowed(response, endpoint.method);
      return;
    }
    if (search?.refusal !== undefined) {
      // spec §9: refused at once, without the latency of a real answer.
      const { status, body: text, headers } = search.refusal;
      sendText(response, status, text, headers);
      return;
    }
    // The fault is chosen on arrival, so `times` counts requests in the order they came.
    const fault = this.chooseFault(endpoint.route, url.searchParams);
    if (!(await this.delay(search?.user)) || response.destroyed) return;
    if (search !== undefined) this.setLimitHeaders(response, search.user);
    if (fault !== undefined) {
      respondWithFault(
        request,
        response,
        fault,
        this.faultEnvironment(endpoint.route, request, body),
      );
    } else if (endpoint.route === 'auth') {
      this.answerAuth(request, response, body);
    } else {
      this.answerSearch(request, response, url.searchParams);
    }
  }

  private chooseFault(route: Route, params: URLSearchParams): FaultSpec | undefined {
    const on: FaultTarget = route;
    if (on === 'auth') {
      this.authCalls++;
      return this.faults.take({ on, active: false, filter: '' });
    }
    const context = {
      on,
      active: params.get('state') === 'true',
      filter: params.get('filter') ?? '',
    };
    const injected = this.faults.take(context);
    if (injected !== undefined) return injected;
    const rate = this.settings.randomFaultRate;
    return rate > 0 && this.random() < rate ? randomStatusFault(this.random) : undefined;
  }

  /**
   * Counts a search, charges it to its token's user and lets the limits admit
   * or refuse it. An admitted one runs until its response ends, however it
   * ends (answered, client gone, simulator closed).
   */
  private arriveSearch(request: IncomingMessage, response: ServerResponse): Arrival {
    this.searchCalls++;
    const filter = new URL(request.url ?? '/', 'http://simulator.invalid').searchParams.get(
      'filter',
    );
    if (filter !== null && batchedObservables(filter) > 1) this.batchedSearchCalls++;
    const user = this.userOf(request);
    const startedAt = epochMs();
    const refused = this.limitsState.admit(user, startedAt);
    const entry = this.searchLog.start(user, startedAt, refused);
    response.once('close', () => {
      if (refused === undefined) this.limitsState.release(user);
      this.searchLog.finish(
        entry,
        epochMs(),
        response.headersSent ? response.statusCode : undefined,
      );
    });
    if (refused === undefined) return { user, refusal: undefined };
    // Headers taken now: `Running` must show what made the limits refuse it.
    const headers = this.limitsState.headers(user, startedAt);
    return { user, refusal: { ...this.limitsState.refusal(refused), headers } };
  }

  /** The user of a search's valid bearer token; undefined when there is none. */
  private userOf(request: IncomingMessage): string | undefined {
    const token = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    return token !== undefined && this.tokens.isValid(token)
      ? this.tokens.userOf(token)
      : undefined;
  }

  /** Every search answer carries the limit headers that apply (spec §9); a fault's headers win. */
  private setLimitHeaders(response: ServerResponse, user: string | undefined): void {
    if (response.headersSent || response.destroyed) return;
    for (const [name, value] of Object.entries(this.limitsState.headers(user, epochMs()))) {
      if (value !== undefined) response.setHeader(name, value);
    }
  }

  /** spec §7: form-encoded username, password and token=true; 201 with the bare token. */
  private answerAuth(request: IncomingMessage, response: ServerResponse, body: string): void {
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType !== 'application/x-www-form-urlencoded') {
      sendText(
        response,
        400,
        'Bad Request: Content-Type must be application/x-www-form-urlencoded',
      );
      return;
    }
    const form = new URLSearchParams(body);
    const username = form.get('username');
    const password = form.get('password');
    if (!username || !password) {
      sendText(response, 400, 'Bad Request: username and password are required');
      return;
    }
    if (form.get('token') !== 'true') {
      sendText(response, 400, 'Bad Request: token=true is required');
      return;
    }
    if (this.credentials.get(username) !== password) {
      sendJson(response, 401, { authentication_exceptions: ['InvalidCredentialsException'] });
      return;
    }
    sendText(response, 201, this.tokens.issue(username));
  }

  private answerSearch(
    request: IncomingMessage,
    response: ServerResponse,
    params: URLSearchParams,
  ): void {
    const token = bearerToken(request);
    if (token === undefined || !this.tokens.isValid(token)) {
      sendText(response, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    try {
      const query = parseSearchQuery(params, {
        ...(this.maxFilterLength === null ? {} : { maxFilterLength: this.maxFilterLength }),
      });
      const perSearch = this.settings.eventsPerSearch;
      const json =
        perSearch > 0
          ? syntheticEventsJson(
              params.get('filter') ?? '',
              query.active,
              Math.min(perSearch, query.pageSize),
            )
          : this.index.searchJson(query);
      send(response, 200, json, { 'Content-Type': 'application/json' });
    } catch (error) {
      if (!(error instanceof SearchQueryError)) throw error;
      sendText(response, 400, error.message);
    }
  }

  /** Waits the configured latency (of `user`'s searches); false when the simulator closed meanwhile. */
  private async delay(user?: string): Promise<boolean> {
    const ms = (user === undefined ? undefined : this.userLatencyMs.get(user)) ?? this.latencyMs;
    if (ms === 0) return true;
    try {
      await sleep(ms, undefined, { signal: this.lifetime.signal });
      return true;
    } catch {
      return false;
    }
  }

  private record(request: IncomingMessage, url: URL, body: string): void {
    const firstValues = new Map<string, string>();
    for (const [name, value] of url.searchParams) {
      if (!firstValues.has(name)) firstValues.set(name, value);
    }
    this.requests.push({
      method: request.method ?? '',
      path: url.pathname,
      // fromEntries defines own properties, so even a `__proto__` parameter stays plain data.
      query: Object.fromEntries(firstValues),
      headers: { ...request.headers },
      body,
    });
    const excess = this.requests.length - this.settings.maxRecordedRequests;
    if (excess > 0) this.requests.splice(0, excess);
  }

  private faultEnvironment(route: Route, request: IncomingMessage, body: string): FaultEnvironment {
    const user =
      route === 'auth'
        ? (new URLSearchParams(body).get('username') ?? undefined)
        : this.tokens.userOf(bearerToken(request) ?? '');
    return {
      signal: this.lifetime.signal,
      openStreams: this.openStreams,
      requestBody: body,
      ...(user === undefined ? {} : { user }),
    };
  }

  private adminControls(): AdminControls {
    return {
      stats: () => this.stats,
      resetStats: () => this.resetStats(),
      injectFault: (spec) => this.injectFault(spec),
      clearFaults: () => this.clearFaults(),
      setLatency: (ms) => this.setLatency(ms),
      setMaxFilterLength: (length) => this.setMaxFilterLength(length),
      revokeTokens: () => this.revokeTokens(),
      expireTokensIn: (ms) => this.expireTokensIn(ms),
      limits: () => this.limits,
      setLimits: (patch) => this.setLimits(patch),
    };
  }
}

function bearerToken(request: IncomingMessage): string | undefined {
  return /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
}

function resolveOptions(options: SimulatorOptions): Settings {
  const credentials = options.credentials ?? { [SIMULATOR_USER]: SIMULATOR_PASSWORD };
  const entries = Object.entries(credentials);
  if (
    entries.length === 0 ||
    entries.some(([user, pass]) => !user || typeof pass !== 'string' || !pass)
  ) {
    throw new TypeError('credentials must map non-empty usernames to non-empty passwords');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError('port must be an integer from 0 to 65535');
  }
  const rate = options.randomFaultRate ?? 0;
  if (!(rate >= 0 && rate <= 1)) throw new RangeError('randomFaultRate must be between 0 and 1');
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError('seed must be an integer');
  const tokenTtlMs = options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
  if (!(tokenTtlMs > 0)) throw new RangeError('tokenTtlMs must be positive');
  const eventsPerSearch = options.eventsPerSearch ?? 0;
  if (!Number.isInteger(eventsPerSearch) || eventsPerSearch < 0) {
    throw new RangeError('eventsPerSearch must be a non-negative integer');
  }
  const maxRecorded = options.maxRecordedRequests ?? DEFAULT_MAX_RECORDED_REQUESTS;
  if (!Number.isInteger(maxRecorded) || maxRecorded < 0) {
    throw new RangeError('maxRecordedRequests must be a non-negative integer');
  }
  return {
    host: options.host ?? '127.0.0.1',
    port,
    latencyMs: nonNegative(options.latencyMs ?? 0, 'latencyMs'),
    userLatencyMs: Object.fromEntries(
      Object.entries(options.userLatencyMs ?? {}).map(([user, ms]) => [
        user,
        nonNegative(ms, 'userLatencyMs'),
      ]),
    ),
    credentials: { ...credentials },
    tokenTtlMs,
    events: options.events ?? SIMULATOR_EVENTS,
    eventsPerSearch,
    maxFilterLength: maxFilterLengthOf(options.maxFilterLength ?? null),
    containsMatch: options.containsMatch ?? false,
    looseHashes: options.looseHashes ?? false,
    randomFaultRate: rate,
    seed,
    maxRecordedRequests: maxRecorded,
    tls: options.tls ?? null,
    limits: validateLimitsPatch({
      concurrencyLimit: options.concurrencyLimit,
      rateLimit: options.rateLimit,
      refusalStatus: options.refusalStatus,
      concurrencyHeaderSpelling: options.concurrencyHeaderSpelling,
      rateRefusalWait: options.rateRefusalWait,
    }),
  };
}

function maxFilterLengthOf(length: number | null): number | null {
  if (length !== null && !(Number.isSafeInteger(length) && length > 0)) {
    throw new RangeError('maxFilterLength must be a positive integer or null');
  }
  return length;
}

function nonNegative(value: number, name: string): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`${name} must be a non-negative number of milliseconds`);
  }
  return value;
}
