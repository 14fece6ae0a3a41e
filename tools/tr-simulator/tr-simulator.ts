import { randomBytes, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  answerFailure,
  readBody,
  send,
  sendJson,
  sendMethodNotAllowed,
  sendNoContent,
} from '../simulator/http-io.js';
import { SimulatorServer } from '../lib/simulator-server.js';
import { moduleInstanceProblem, moduleTypeProblem } from './module-validation.js';

/** The demo API client. Public credentials of this simulator only: printing them is fine. */
export const TR_SIMULATOR_CLIENT_ID = 'client-qualys-relay-demo';
/** Holds `&`, `=`, `+`, `%` and `:`: a client that does not encode Basic credentials properly fails. */
export const TR_SIMULATOR_CLIENT_PASSWORD = 'TR-sim&demo=pass+50%:ok';
/** What a real API client needs to manage modules. */
const DEFAULT_SCOPES: readonly string[] = ['integration'];
export const ACCESS_TOKEN_TTL_SEC = 600;
const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

const TOKEN_PATH = '/iroh/oauth2/token';
const COLLECTIONS = {
  'module-instance': moduleInstanceProblem,
  'module-type': moduleTypeProblem,
} as const;
export type Collection = keyof typeof COLLECTIONS;

export interface TrSimulatorOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 0 (an ephemeral port). */
  port?: number;
  clientId?: string;
  clientPassword?: string;
  /** Scopes granted to tokens issued from now on; default `integration`. */
  scopes?: readonly string[];
  /** Delay before every answer; default 0. */
  latencyMs?: number;
}

/** A request as received: the test's view of what the CLI sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A misbehaviour instead of the normal answer, on the token endpoint, the
 * module API, or both (default); `times` limits it to the next N requests.
 * - `status`: that status with `body` (default a JSON error).
 * - `malformed-json`: 200, `application/json`, a truncated document.
 */
export interface TrFault {
  kind: 'status' | 'malformed-json';
  status?: number;
  body?: string;
  on?: 'token' | 'api';
  times?: number;
}

export type Item = { id: string } & Record<string, unknown>;

export interface TrSimulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`: the CLI's `TR_API_URL`. */
  readonly url: string;
  readonly port: number;
  /** Every request so far, oldest first (a copy). */
  requests(): RecordedRequest[];
  /** Access tokens issued so far. */
  issuedTokens(): string[];
  /** The stored items of a collection, in creation order (copies). */
  items(collection: Collection): Item[];
  setScopes(scopes: readonly string[]): void;
  setLatency(ms: number): void;
  injectFault(fault: TrFault): void;
  /** Forgets requests, faults, latency, items and tokens; scopes back to the default. */
  reset(): void;
  /** Stops listening and ends every connection, including ones waiting out a latency. */
  close(): Promise<void>;
}

export async function startTrSimulator(options: TrSimulatorOptions = {}): Promise<TrSimulator> {
  const simulator = new Simulator(options);
  await simulator.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return simulator;
}

interface Grant {
  expiresAt: number;
  scopes: readonly string[];
}

class Simulator implements TrSimulator {
  private readonly server: SimulatorServer;
  private readonly lifetime = new AbortController();
  private readonly clientId: string;
  private readonly clientPassword: string;
  private readonly defaultScopes: readonly string[];
  private scopes: readonly string[];
  private latencyMs: number;
  private recorded: RecordedRequest[] = [];
  private faults: { fault: TrFault; remaining: number }[] = [];
  private grants = new Map<string, Grant>();
  private stores = {
    'module-instance': new Map<string, Item>(),
    'module-type': new Map<string, Item>(),
  };

  constructor(options: TrSimulatorOptions) {
    this.clientId = options.clientId ?? TR_SIMULATOR_CLIENT_ID;
    this.clientPassword = options.clientPassword ?? TR_SIMULATOR_CLIENT_PASSWORD;
    if (this.clientId === '' || this.clientId.includes(':') || this.clientPassword === '') {
      throw new TypeError('the client id must be non-empty without ":", the password non-empty');
    }
    this.defaultScopes = [...(options.scopes ?? DEFAULT_SCOPES)];
    this.scopes = this.defaultScopes;
    this.latencyMs = nonNegative(options.latencyMs ?? 0);
    // Every waiting request listens on this one signal: many listeners are expected.
    setMaxListeners(0, this.lifetime.signal);
    this.server = new SimulatorServer(
      createServer((request, response) => this.onRequest(request, response)),
    );
  }

  listen(host: string, port: number): Promise<void> {
    return this.server.listen(host, port);
  }

  get url(): string {
    return this.server.url;
  }

  get port(): number {
    return this.server.port;
  }

  requests(): RecordedRequest[] {
    return this.recorded.map((request) => ({ ...request, headers: { ...request.headers } }));
  }

  issuedTokens(): string[] {
    return [...this.grants.keys()];
  }

  items(collection: Collection): Item[] {
    return [...this.stores[collection].values()].map((item) => structuredClone(item));
  }

  setScopes(scopes: readonly string[]): void {
    this.scopes = [...scopes];
  }

  setLatency(ms: number): void {
    this.latencyMs = nonNegative(ms);
  }

  injectFault(fault: TrFault): void {
    if (
      fault.kind === 'status' &&
      !(Number.isInteger(fault.status) && fault.status! >= 200 && fault.status! <= 599)
    ) {
      throw new RangeError('a status fault needs a status from 200 to 599');
    }
    this.faults.push({ fault: { ...fault }, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  reset(): void {
    this.recorded = [];
    this.faults = [];
    this.latencyMs = 0;
    this.scopes = this.defaultScopes;
    this.grants.clear();
    for (const store of Object.values(this.stores)) store.clear();
  }

  close(): Promise<void> {
    this.lifetime.abort();
    return this.server.close();
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    this.handle(request, response).catch((error: unknown) =>
      answerFailure(request, response, error, 'threat response simulator'),
    );
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://simulator.invalid').pathname;
    const body = await readBody(request, MAX_REQUEST_BODY_BYTES);
    this.recorded.push({
      method: request.method ?? '',
      path,
      headers: { ...request.headers },
      body,
    });
    const fault = this.takeFault(path === TOKEN_PATH ? 'token' : 'api');
    if (!(await this.delay()) || response.destroyed) return;
    if (fault !== undefined) return answerFault(response, fault);
    if (path === TOKEN_PATH) return this.answerToken(request, response, body);
    const route = /^\/iroh\/iroh-int\/(module-instance|module-type)(?:\/([^/]+))?$/.exec(path);
    if (route === null) return sendJson(response, 404, { error: 'not_found' });
    const grant = this.authorize(request, response, request.method === 'GET' ? 'read' : 'write');
    if (grant === undefined) return;
    const collection = route[1] as Collection;
    const id = route[2] === undefined ? undefined : decodeURIComponent(route[2]);
    if (id === undefined) this.answerCollection(request, response, collection, body);
    else this.answerItem(request, response, collection, id, body);
  }

  /** OAuth2 client credentials (spec §10): HTTP Basic, form body `grant_type=client_credentials`. */
  private answerToken(request: IncomingMessage, response: ServerResponse, body: string): void {
    if (request.method !== 'POST') return sendMethodNotAllowed(response, 'POST');
    if (mediaType(request) !== 'application/x-www-form-urlencoded') {
      return sendJson(response, 400, {
        error: 'invalid_request',
        error_description: 'The body must be application/x-www-form-urlencoded',
      });
    }
    if (new URLSearchParams(body).get('grant_type') !== 'client_credentials') {
      return sendJson(response, 400, { error: 'unsupported_grant_type' });
    }
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '')?.[1];
    const decoded = basic === undefined ? '' : Buffer.from(basic, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (
      separator < 0 ||
      decoded.slice(0, separator) !== this.clientId ||
      decoded.slice(separator + 1) !== this.clientPassword
    ) {
      send(
        response,
        401,
        JSON.stringify({
          error: 'invalid_client',
          error_description: 'Invalid client credentials',
        }),
        { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Basic realm="iroh"' },
      );
      return;
    }
    const token = jwtShapedToken();
    this.grants.set(token, {
      expiresAt: Date.now() + ACCESS_TOKEN_TTL_SEC * 1000,
      scopes: this.scopes,
    });
    sendJson(response, 200, {
      access_token: token,
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_TTL_SEC,
      scope: this.scopes.join(' '),
    });
  }

  /** The grant behind the bearer token, or undefined once a 401/403 has been answered. */
  private authorize(
    request: IncomingMessage,
    response: ServerResponse,
    access: 'read' | 'write',
  ): Grant | undefined {
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const grant = token === undefined ? undefined : this.grants.get(token);
    if (grant === undefined || grant.expiresAt <= Date.now()) {
      sendJson(response, 401, { error: 'invalid_token' });
      return undefined;
    }
    if (!grant.scopes.includes('integration') && !grant.scopes.includes(`integration:${access}`)) {
      sendJson(response, 403, {
        error: 'insufficient_scope',
        error_description: `Managing modules needs the integration scope (${access})`,
      });
      return undefined;
    }
    return grant;
  }

  private answerCollection(
    request: IncomingMessage,
    response: ServerResponse,
    collection: Collection,
    body: string,
  ): void {
    const store = this.stores[collection];
    if (request.method === 'GET') return sendJson(response, 200, [...store.values()]);
    if (request.method !== 'POST') return sendMethodNotAllowed(response, 'GET, POST');
    const document = parseDocument(request, response, body);
    if (document === undefined) return;
    const item: Item = { ...document, id: randomUUID() };
    if (!this.accepts(response, collection, item)) return;
    store.set(item.id, item);
    sendJson(response, 201, item);
  }

  private answerItem(
    request: IncomingMessage,
    response: ServerResponse,
    collection: Collection,
    id: string,
    body: string,
  ): void {
    const store = this.stores[collection];
    const current = store.get(id);
    if (!['GET', 'PATCH', 'DELETE'].includes(request.method ?? '')) {
      return sendMethodNotAllowed(response, 'GET, PATCH, DELETE');
    }
    if (current === undefined) return sendJson(response, 404, { error: 'not_found' });
    if (request.method === 'GET') return sendJson(response, 200, current);
    if (request.method === 'DELETE') {
      store.delete(id);
      return sendNoContent(response);
    }
    const changes = parseDocument(request, response, body);
    if (changes === undefined) return;
    // A PATCH replaces the top-level keys it names (a nested object whole), keeps the rest.
    const updated: Item = { ...current, ...changes, id };
    if (!this.accepts(response, collection, updated)) return;
    store.set(id, updated);
    sendJson(response, 200, updated);
  }

  private accepts(response: ServerResponse, collection: Collection, item: Item): boolean {
    const problem = COLLECTIONS[collection](item);
    if (problem !== undefined) {
      sendJson(response, 400, { error: 'invalid_request', error_description: problem });
    }
    return problem === undefined;
  }

  private takeFault(on: 'token' | 'api'): TrFault | undefined {
    const index = this.faults.findIndex(({ fault }) => fault.on === undefined || fault.on === on);
    if (index < 0) return undefined;
    const entry = this.faults[index];
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.faults.splice(index, 1);
    return entry.fault;
  }

  /** Waits the configured latency; false when the simulator closed meanwhile. */
  private async delay(): Promise<boolean> {
    if (this.latencyMs === 0) return true;
    try {
      await sleep(this.latencyMs, undefined, { signal: this.lifetime.signal });
      return true;
    } catch {
      return false;
    }
  }
}

function answerFault(response: ServerResponse, fault: TrFault): void {
  if (fault.kind === 'malformed-json') {
    send(response, 200, fault.body ?? '[{"id": "truncated', { 'Content-Type': 'application/json' });
    return;
  }
  const status = fault.status ?? 500;
  send(response, status, fault.body ?? JSON.stringify({ error: `simulated ${status}` }), {
    'Content-Type': fault.body === undefined ? 'application/json' : 'text/plain; charset=utf-8',
  });
}

/** The JSON object of a POST/PATCH body, or undefined once a 400/415 has been answered. */
function parseDocument(
  request: IncomingMessage,
  response: ServerResponse,
  body: string,
): Record<string, unknown> | undefined {
  if (mediaType(request) !== 'application/json') {
    sendJson(response, 415, { error: 'unsupported_media_type' });
    return undefined;
  }
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    sendJson(response, 400, {
      error: 'invalid_request',
      error_description: 'The body is not JSON',
    });
    return undefined;
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    sendJson(response, 400, {
      error: 'invalid_request',
      error_description: 'The body must be a JSON object',
    });
    return undefined;
  }
  return document as Record<string, unknown>;
}

function mediaType(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** Real access tokens are JWTs; these have the same shape (unsigned, random). */
function jwtShapedToken(): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return [
    part({ alg: 'RS256', typ: 'JWT' }),
    part({ iss: 'TR API simulator', jti: randomUUID() }),
    randomBytes(32).toString('base64url'),
  ].join('.');
}

function nonNegative(ms: number): number {
  if (!Number.isInteger(ms) || ms < 0)
    throw new RangeError('latency must be a non-negative integer');
  return ms;
}
