import { Inject, Injectable } from '@nestjs/common';
import { HttpService } from '@nestjs/axios';
import type { AxiosResponse } from 'axios';
import { firstValueFrom } from 'rxjs';
import type { RelayContext } from '../auth/relay-context.js';
import { RelayError } from '../common/relay-error.js';
import { RELAY_CONFIG, type QualysConfig, type RelayConfig } from '../config/relay-config.js';
import { QualysCallLimiter } from './call-limiter.js';
import { QUALYS_USER_AGENT } from './http-agents.js';
import type { QualysEvent } from './qualys-event.js';
import { errorForStatus, errorForTransportFailure, unexpectedResponse } from './qualys-errors.js';
import { isRetryableStatus, retryDelayMs } from './retry-policy.js';
import { QualysTokenCache } from './token-cache.js';

export interface SearchOptions {
  /** Spec §5: `true` searches active events (`state=true`), `false` historical ones. */
  active: boolean;
  pageSize: number;
  /** Omitted for the health check, which only proves access. */
  filter?: string;
  /** A per-request limiter, so one large request cannot take every global slot. */
  schedule?: <T>(task: () => Promise<T>) => Promise<T>;
}

/** A deadline for one logical call including its retries and waits. */
class Budget {
  private readonly deadline: number;
  constructor(ms: number) {
    this.deadline = Date.now() + ms;
  }
  remaining(): number {
    return this.deadline - Date.now();
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
  ) {
    this.config = config.qualys;
  }

  /** `GET /ioc/events`; 400/404 mean "nothing found" (spec §7). */
  async searchEvents(context: RelayContext, options: SearchOptions): Promise<QualysEvent[]> {
    const budget = new Budget(this.config.budgetMs);
    const params: Record<string, string> = { pageSize: String(options.pageSize) };
    if (options.filter !== undefined) params.filter = options.filter;
    if (options.active) params.state = 'true';
    const url = `${context.apiUrl}/ioc/${this.config.apiVersion ? `${this.config.apiVersion}/` : ''}events`;

    const run = () => this.limiter.run(() => this.searchWithToken(context, url, params, budget));
    const response = await (options.schedule ? options.schedule(run) : run());

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
    const fetchToken = () => this.fetchToken(context, budget);
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get(key, fetchToken);
      const response = await this.send(context, budget, () =>
        firstValueFrom(
          this.http.get<string>(url, {
            params,
            headers: {
              Authorization: `Bearer ${token}`,
              Accept: 'application/json',
              'User-Agent': QUALYS_USER_AGENT,
            },
            ...this.requestOptions(budget),
          }),
        ),
      );
      if (response.status === 401 && attempt === 0) {
        this.tokens.invalidate(key, token);
        continue;
      }
      if (response.status >= 200 && response.status < 300) return response;
      if (response.status === 400 || response.status === 404) return response;
      throw errorForStatus(response.status, response.data);
    }
  }

  /** `POST /auth`, properly form-encoded; the body of a 2xx is the token. */
  private async fetchToken(context: RelayContext, budget: Budget): Promise<string> {
    const form = new URLSearchParams({
      username: context.credentials.user,
      password: context.credentials.pass,
      token: 'true',
    });
    const response = await this.send(context, budget, () =>
      firstValueFrom(
        this.http.post<string>(`${context.apiUrl}/auth`, form.toString(), {
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'User-Agent': QUALYS_USER_AGENT,
          },
          ...this.requestOptions(budget),
        }),
      ),
    );
    if (response.status < 200 || response.status >= 300) {
      throw errorForStatus(response.status, response.data);
    }
    const token = response.data.trim();
    if (token === '') throw unexpectedResponse('the authentication answer carried no token');
    return token;
  }

  /**
   * Sends one call, retrying 429/503 a bounded number of times when the wait
   * Qualys asks for still fits the budget (spec §7).
   */
  private async send(
    context: RelayContext,
    budget: Budget,
    call: () => Promise<AxiosResponse<string>>,
  ): Promise<AxiosResponse<string>> {
    for (let retry = 0; ; retry++) {
      if (budget.remaining() <= 0) throw errorForTransportFailure(undefined, context.apiUrl);
      let response: AxiosResponse<string>;
      try {
        response = await call();
      } catch (error) {
        throw errorForTransportFailure(error, context.apiUrl);
      }
      if (!isRetryableStatus(response.status) || retry >= this.config.retries) return response;
      const wait = retryDelayMs(retry, response.headers as Record<string, unknown>);
      // A wait that would leave no time for the call itself is not worth it.
      if (wait + 100 >= budget.remaining()) return response;
      await sleep(wait);
    }
  }

  private requestOptions(budget: Budget) {
    return {
      responseType: 'text' as const,
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
      signal: AbortSignal.timeout(Math.max(1, Math.min(this.config.timeoutMs, budget.remaining()))),
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
