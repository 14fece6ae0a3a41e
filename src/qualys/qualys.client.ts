import { Inject, Injectable, Optional } from '@nestjs/common';
import { HttpService } from '@nestjs/axios';
import type { AxiosResponse } from 'axios';
import type { RelayContext } from '../auth/relay-context.js';
import { ErrorCode } from '../common/relay-error.js';
import { RELAY_CONFIG, type QualysConfig, type RelayConfig } from '../config/relay-config.js';
import { tokenFromAuthAnswer } from './auth-answer.js';
import { QualysCallLimiter } from './call-limiter.js';
import { QUALYS_USER_AGENT } from './http-agents.js';
import type { QualysEvent } from './qualys-event.js';
import { errorForStatus, errorForTransportFailure, unexpectedResponse } from './qualys-errors.js';
import { isRetryableStatus, retryDelayMs } from './retry-policy.js';
import { QualysTokenCache, type TokenLookup } from './token-cache.js';

export type QualysOperation = 'auth' | 'search';

/** How one HTTP call to Qualys ended, as a bounded metrics label. */
export type QualysCallOutcome =
  | 'success'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'unavailable'
  | 'client_error'
  | 'server_error'
  | 'connection_error'
  | 'transport_error';

/**
 * Told about every Qualys call (metrics). The client classifies outcomes, so
 * HTTP knowledge stays here (house style 5); the observer only counts.
 */
export interface QualysCallObserver {
  /** One HTTP call (each retry is a call), its outcome and duration. */
  call(operation: QualysOperation, outcome: QualysCallOutcome, seconds: number): void;
  tokenLookup(result: TokenLookup): void;
  /** A search began (queued or running); call the returned function when it ends. */
  searchStarted(): () => void;
}

/** DI token of the optional `QualysCallObserver`. */
export const QUALYS_CALL_OBSERVER = Symbol('QUALYS_CALL_OBSERVER');

function outcomeOf(operation: QualysOperation, status: number): QualysCallOutcome {
  if (status >= 200 && status < 300) return 'success';
  if (operation === 'search' && (status === 400 || status === 404)) return 'not_found';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return status < 500 ? 'client_error' : 'server_error';
}

export interface SearchOptions {
  /** Spec §5: `true` searches active events (`state=true`), `false` historical ones. */
  active: boolean;
  pageSize: number;
  /** Omitted for the health check, which only proves access. */
  filter?: string;
  /** A per-request limiter, so one large request cannot take every global slot. */
  schedule?: <T>(task: () => Promise<T>) => Promise<T>;
  /** Abandons the search (its sibling failed): no further calls, retries or waits. */
  signal?: AbortSignal;
}

/**
 * A deadline for one logical call including its retries and waits, and the
 * caller's signal to give up early.
 */
class Budget {
  private readonly deadline: number;
  constructor(
    ms: number,
    readonly signal?: AbortSignal,
  ) {
    this.deadline = Date.now() + ms;
  }
  remaining(): number {
    return this.signal?.aborted ? 0 : this.deadline - Date.now();
  }
  /** The same deadline without the caller's signal, for work others may share. */
  unsignalled(): Budget {
    return new Budget(this.remaining());
  }
}

/**
 * The relay's only door to Qualys IOC, and the only place that knows HTTP
 * status codes and Axios errors (house style 5). Everything above it sees
 * events or `RelayError`s with spec §7 codes.
 */
@Injectable()
export class QualysClient {
  private readonly config: QualysConfig;

  constructor(
    @Inject(RELAY_CONFIG) config: RelayConfig,
    private readonly http: HttpService,
    private readonly tokens: QualysTokenCache,
    private readonly limiter: QualysCallLimiter,
    @Optional() @Inject(QUALYS_CALL_OBSERVER) private readonly observer?: QualysCallObserver,
  ) {
    this.config = config.qualys;
  }

  /** `GET /ioc/events`; 400/404 mean "nothing found" (spec §7). */
  async searchEvents(context: RelayContext, options: SearchOptions): Promise<QualysEvent[]> {
    const budget = new Budget(this.config.budgetMs, options.signal);
    const params: Record<string, string> = { pageSize: String(options.pageSize) };
    if (options.filter !== undefined) params.filter = options.filter;
    if (options.active) params.state = 'true';
    const url = `${context.apiUrl}/ioc/${this.config.apiVersion ? `${this.config.apiVersion}/` : ''}events`;

    const run = () => this.limiter.run(() => this.searchWithToken(context, url, params, budget));
    const searchEnded = this.observer?.searchStarted();
    let response: AxiosResponse<string>;
    try {
      response = await (options.schedule ? options.schedule(run) : run());
    } finally {
      searchEnded?.();
    }

    if (response.status === 400 || response.status === 404) return [];
    return parseEvents(response.data);
  }

  /**
   * A scheduler for the calls of one relay request: it caps how many global
   * slots that request may hold at once (see `QualysCallLimiter`).
   */
  requestScheduler(): <T>(task: () => Promise<T>) => Promise<T> {
    return this.limiter.forRequest();
  }

  /** Spec §2 `/health`: one search of active events with page size 1. */
  async checkAccess(context: RelayContext): Promise<void> {
    await this.searchEvents(context, { active: true, pageSize: 1 });
  }

  /** A search with a cached token, refreshed once after a 401 (spec §7). */
  private async searchWithToken(
    context: RelayContext,
    url: string,
    params: Record<string, string>,
    budget: Budget,
  ): Promise<AxiosResponse<string>> {
    const key = QualysTokenCache.keyOf(context.apiUrl, context.credentials);
    // A token fetch is shared by concurrent searches (single flight), so one
    // search being abandoned must not abort it for the others.
    const fetchToken = () => this.fetchToken(context, budget.unsignalled());
    const onLookup = this.observer ? (result: TokenLookup) => this.observer?.tokenLookup(result) : undefined;
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get(key, fetchToken, onLookup);
      const response = await this.send(context, budget, 'search', (signal) =>
        // The axios instance itself, not HttpService.get(): its Observable wrapper
        // cancels a per-call CancelToken after every answer, building a
        // CanceledError with a stack trace each time (~3% CPU under load, bench/).
        this.http.axiosRef.get<string>(url, {
          params,
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: 'application/json',
            'User-Agent': QUALYS_USER_AGENT,
          },
          ...this.requestOptions(signal),
        }),
      );
      if (response.status === 401 && attempt === 0) {
        this.tokens.invalidate(key, token);
        continue;
      }
      if (response.status >= 200 && response.status < 300) return response;
      if (response.status === 400 || response.status === 404) return response;
      throw errorForStatus(response.status, response.data, context.credentials);
    }
  }

  /** `POST /auth`, properly form-encoded; the body of a 2xx is the token. */
  private async fetchToken(context: RelayContext, budget: Budget): Promise<string> {
    const form = new URLSearchParams({
      username: context.credentials.user,
      password: context.credentials.pass,
      token: 'true',
    });
    const response = await this.send(context, budget, 'auth', (signal) =>
      this.http.axiosRef.post<string>(`${context.apiUrl}/auth`, form.toString(), {
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'User-Agent': QUALYS_USER_AGENT,
        },
        ...this.requestOptions(signal),
      }),
    );
    if (response.status < 200 || response.status >= 300) {
      throw errorForStatus(response.status, response.data, context.credentials);
    }
    return tokenFromAuthAnswer(response.data);
  }

  /**
   * Sends one call, retrying 429/503 a bounded number of times when the wait
   * Qualys asks for still fits the budget (spec §7).
   */
  private async send(
    context: RelayContext,
    budget: Budget,
    operation: QualysOperation,
    call: (signal: AbortSignal) => Promise<AxiosResponse<string>>,
  ): Promise<AxiosResponse<string>> {
    for (let retry = 0; ; retry++) {
      if (budget.remaining() <= 0) throw errorForTransportFailure(undefined, context.apiUrl);
      const started = performance.now();
      const attempt = callSignal(
        Math.max(1, Math.min(this.config.timeoutMs, budget.remaining())),
        budget.signal,
      );
      let response: AxiosResponse<string>;
      try {
        response = await call(attempt.signal);
      } catch (error) {
        const relayError = errorForTransportFailure(error, context.apiUrl);
        const outcome = relayError.code === ErrorCode.CONNECTION ? 'connection_error' : 'transport_error';
        this.observer?.call(operation, outcome, (performance.now() - started) / 1000);
        throw relayError;
      } finally {
        attempt.release();
      }
      this.observer?.call(operation, outcomeOf(operation, response.status), (performance.now() - started) / 1000);
      if (!isRetryableStatus(response.status) || retry >= this.config.retries) return response;
      const wait = retryDelayMs(retry, response.headers);
      // A wait that would leave no time for the call itself is not worth it.
      if (wait + 100 >= budget.remaining()) return response;
      await sleep(wait, budget.signal);
    }
  }

  private requestOptions(signal: AbortSignal) {
    return {
      responseType: 'text' as const,
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
      signal,
    };
  }
}

function parseEvents(body: string): QualysEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw unexpectedResponse('the events answer is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw unexpectedResponse('the events answer is not a JSON array');
  return parsed.filter(
    (event): event is QualysEvent => typeof event === 'object' && event !== null && !Array.isArray(event),
  );
}

/**
 * The signal of one HTTP call: aborts after `ms`, or when `caller` does.
 * Not AbortSignal.timeout()/any(): on Node 20 those stay reachable until
 * their timer fires once a listener was ever added (axios adds one), about
 * 1 KiB (timeout) to 3 KiB (any) per call for the whole timeout — tens of MB
 * under load (bench/, issue #6). This one is released when the call settles.
 */
function callSignal(ms: number, caller?: AbortSignal): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onCallerAbort = (): void => controller.abort(caller?.reason);
  const timer = setTimeout(
    () => controller.abort(new DOMException('The call timed out', 'TimeoutError')),
    ms,
  );
  if (caller?.aborted) controller.abort(caller.reason);
  else caller?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    },
  };
}

/** Waits `ms`, or less when `signal` aborts (the next budget check then stops). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
