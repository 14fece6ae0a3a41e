import type { Dispatcher } from 'undici';
import { RELAY_VERSION } from '../../common/version.js';
import {
  HttpFailureError,
  MAX_ANSWER_BYTES,
  sendHttp,
  type HttpAnswer,
  type HttpCall,
} from './http-client.js';
import { maskText } from './mask.js';

/** The Threat Response API (IROH) collections the CLI manages (spec §10). */
export type IrohCollection = 'module-instance' | 'module-type';

/** An item of a collection as the API lists it: an id and whatever else it holds. */
export type IrohRecord = { id: string } & Record<string, unknown>;

/** Every API failure, as the one line the CLI prints (no secret, no stack). */
export class TrApiError extends Error {
  override readonly name = 'TrApiError';
}

export interface IrohClientOptions {
  /** `https://visibility.amp.cisco.com`, or a loopback simulator (see api-url.ts). */
  baseUrl: string;
  timeoutMs: number;
  /** The egress seam (spec §11): undici's global dispatcher when absent. */
  dispatcher?: Dispatcher;
}

const TOKEN_PATH = '/iroh/oauth2/token';
export const collectionPath = (collection: IrohCollection): string =>
  `/iroh/iroh-int/${collection}`;

const USER_AGENT = `qualys-ioc-relay-module-cli/${RELAY_VERSION}`;
const MAX_QUOTED = 200;

/** Logs an API client in (OAuth2 client credentials) and hands out a session. */
export class IrohClient {
  constructor(private readonly options: IrohClientOptions) {}

  /**
   * `POST /iroh/oauth2/token` with HTTP Basic credentials and
   * `grant_type=client_credentials`; the session sends the access token.
   */
  async login(clientId: string, clientPassword: string): Promise<IrohSession> {
    const basic = Buffer.from(`${clientId}:${clientPassword}`).toString('base64');
    const answer = await call(this.options, {
      method: 'POST',
      path: TOKEN_PATH,
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
      passThrough: [401],
    });
    if (answer.status === 401) {
      throw new TrApiError(
        'Threat Response refused the API client credentials (HTTP 401): check TR_API_CLIENT_ID and TR_API_CLIENT_PASSWORD.',
      );
    }
    const token = (expectJson(answer, 'POST', TOKEN_PATH) as { access_token?: unknown })
      .access_token;
    if (typeof token !== 'string' || token === '') {
      throw malformed('POST', TOKEN_PATH, 'no access_token');
    }
    return new IrohSession(this.options, token);
  }
}

/** Calls of one logged-in API client. */
export class IrohSession {
  constructor(
    private readonly options: IrohClientOptions,
    /** Exposed so the CLI can keep it out of everything it prints. */
    readonly accessToken: string,
  ) {}

  async list(collection: IrohCollection): Promise<IrohRecord[]> {
    const path = collectionPath(collection);
    const body = expectJson(await this.send('GET', path), 'GET', path);
    if (!Array.isArray(body) || !body.every(isRecord)) {
      throw malformed('GET', path, 'not a list of items with an id');
    }
    return body;
  }

  /** One item by id; undefined when the API answers 404. */
  async get(collection: IrohCollection, id: string): Promise<IrohRecord | undefined> {
    const path = `${collectionPath(collection)}/${encodeURIComponent(id)}`;
    const answer = await this.send('GET', path, undefined, [404]);
    if (answer.status === 404) return undefined;
    return expectRecord(answer, 'GET', path);
  }

  async create(collection: IrohCollection, document: object): Promise<IrohRecord> {
    const path = collectionPath(collection);
    return expectRecord(await this.send('POST', path, document), 'POST', path);
  }

  async patch(collection: IrohCollection, id: string, changes: object): Promise<void> {
    const path = `${collectionPath(collection)}/${encodeURIComponent(id)}`;
    await this.send('PATCH', path, changes);
  }

  async remove(collection: IrohCollection, id: string): Promise<void> {
    await this.send('DELETE', `${collectionPath(collection)}/${encodeURIComponent(id)}`);
  }

  private async send(
    method: HttpCall['method'],
    path: string,
    document?: object,
    accepted: number[] = [],
  ): Promise<HttpAnswer> {
    const answer = await call(this.options, {
      method,
      path,
      headers: {
        authorization: `Bearer ${this.accessToken}`,
        ...(document === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: document === undefined ? undefined : JSON.stringify(document),
      passThrough: [401, ...accepted],
    });
    if (answer.status === 401) {
      throw new TrApiError(
        `Threat Response refused the access token for ${method} ${path} (HTTP 401); try again.`,
      );
    }
    return answer;
  }
}

interface ApiCall {
  method: HttpCall['method'];
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Non-2xx statuses the caller handles itself (403 never is). */
  passThrough: number[];
}

/** One HTTP exchange; transport failures, 403 and other non-2xx answers become one-line errors. */
async function call(options: IrohClientOptions, apiCall: ApiCall): Promise<HttpAnswer> {
  const { method, path } = apiCall;
  let answer: HttpAnswer;
  try {
    answer = await sendHttp({
      method,
      url: `${options.baseUrl}${path}`,
      headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...apiCall.headers },
      body: apiCall.body,
      timeoutMs: options.timeoutMs,
      dispatcher: options.dispatcher,
    });
  } catch (error) {
    if (!(error instanceof HttpFailureError)) throw error;
    throw new TrApiError(transportMessage(error, options, `${method} ${path}`));
  }
  if (answer.status === 403) {
    throw new TrApiError(
      `Threat Response denied ${method} ${path} (HTTP 403): the API client lacks a scope; give it the Integration scope (read and write).`,
    );
  }
  if (
    (answer.status >= 200 && answer.status < 300) ||
    apiCall.passThrough.includes(answer.status)
  ) {
    return answer;
  }
  throw new TrApiError(
    `Threat Response answered HTTP ${answer.status} to ${method} ${path}${quote(answer.text)}`,
  );
}

function transportMessage(
  failure: HttpFailureError,
  options: IrohClientOptions,
  what: string,
): string {
  switch (failure.kind) {
    case 'timeout':
      return `Threat Response did not answer ${what} within ${options.timeoutMs} ms (TR_API_TIMEOUT_MS).`;
    case 'too-large':
      return `Threat Response sent more than ${MAX_ANSWER_BYTES} bytes in answer to ${what}.`;
    case 'unreachable':
      return `Cannot reach the Threat Response API at ${options.baseUrl}${failure.code === undefined ? '' : ` (${failure.code})`} for ${what}.`;
  }
}

/** What the API said, on one line, at most 200 characters, tokens masked; '' when it said nothing. */
function quote(text: string): string {
  const line = maskText(text.replace(/\s+/g, ' ').trim());
  if (line === '') return '.';
  const characters = Array.from(line);
  return `: ${characters.length > MAX_QUOTED ? `${characters.slice(0, MAX_QUOTED).join('')}…` : line}`;
}

function expectJson(answer: HttpAnswer, method: string, path: string): unknown {
  try {
    return JSON.parse(answer.text) as unknown;
  } catch {
    throw malformed(method, path, 'not JSON');
  }
}

function expectRecord(answer: HttpAnswer, method: string, path: string): IrohRecord {
  const body = expectJson(answer, method, path);
  if (!isRecord(body)) throw malformed(method, path, 'not an item with an id');
  return body;
}

function malformed(method: string, path: string, what: string): TrApiError {
  return new TrApiError(`Threat Response sent a malformed answer to ${method} ${path} (${what}).`);
}

function isRecord(value: unknown): value is IrohRecord {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { id?: unknown }).id === 'string'
  );
}
