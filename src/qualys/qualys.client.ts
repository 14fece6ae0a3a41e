import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { QualysHttp, type QualysHttpResponse } from './qualys-http.js';
import type { RelayContext } from '../auth/relay-context.js';
import { parseJsonArray, type JsonArrayProblem } from '../common/json-array.js';
import { ErrorCode, RelayError } from '../common/relay-error.js';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { QualysConfig } from '../config/relay-config.js';
import { tokenFromAuthAnswer } from './auth-answer.js';
import { QUALYS_USER_AGENT } from './qualys-transport.js';
import {
  budgetBlock,
  readLimitHeaders,
  refusalKind,
  type LimitHeaders,
  type RefusalKind,
} from './limits/limit-headers.js';
import { QualysLimits } from './limits/qualys-limits.js';
import { MemoryWaitAbortedError } from './limits/memory-budget.js';
import { RelayRequestScope, SearchDeadlineError } from './limits/relay-request.js';
import {
  SharedSearchLeftError,
  type SearchAnswer,
  type SearchProgress,
} from './limits/search-sharing.js';
import {
  BudgetSpentError,
  SlotWaitAbortedError,
  type RequestTurn,
} from './limits/subscription-scheduler.js';
import type { QualysEvent } from './qualys-event.js';
import {
  connectionError,
  deadlineReached,
  errorForStatus,
  errorForTransportFailure,
  rateLimitReached,
  unexpectedResponse,
} from './qualys-errors.js';
import {
  QUALYS_CALL_OBSERVER,
  type QualysCallDetails,
  type QualysCallObserver,
} from './qualys-call-observer.js';
import {
  classifyStatus,
  isRetryable,
  type QualysOperation,
  type QualysStatusClass,
} from './qualys-status.js';
import { retryDelayMs } from './retry-policy.js';
import { QualysTokenCache, type TokenLookup } from './token-cache.js';
import { logUnansweredCall } from './unanswered-call-log.js';

// The types of this façade's API, so that callers need no file of limits/.
export { RelayRequestScope, SearchDeadlineError } from './limits/relay-request.js';

/** Event lists compress tenfold; the transport decodes what Qualys compresses (qualys-transport.ts). */
const ACCEPT_ENCODING = 'gzip, deflate, br';
/** How much later than the time left a call's own timer fires (see `call`). */
const DEADLINE_GRACE_MS = 50;
/**
 * Room a search claims of the memory budget before its call is sent (spec
 * §15), per event of its page: about what a full page of real events
 * weighs. What the answer really weighs is charged once it is read.
 */
const EXPECTED_EVENT_BYTES = 2048;
const MIN_EXPECTED_ANSWER_BYTES = 16 * 1024;

/** A relay request's work: items (observables) of `unitsPerItem` searches each (spec §15). */
export interface RequestWork {
  items: number;
  unitsPerItem: number;
}

/** One HTTP answer of Qualys and what its status means (qualys-status.ts). */
interface Answer {
  response: QualysHttpResponse;
  statusClass: QualysStatusClass;
}

export interface SearchOptions {
  /** Spec §5: `true` searches active events (`state=true`), `false` historical ones. */
  active: boolean;
  pageSize: number;
  /** Omitted for the health check, which only proves access. */
  filter?: string;
  /** The relay request this search serves: its deadline and its turn (spec §9). */
  request: RelayRequestScope;
  /** Abandons the search (its sibling failed): no further calls, retries or waits. */
  signal?: AbortSignal;
  /** Never read or share a cached answer (spec §9: `/health` exists to reach Qualys). */
  fresh?: boolean;
}

/** A search's events, their size and when Qualys answered them; from the cache, when it was fetched (spec §13). */
export interface SearchResult {
  events: QualysEvent[];
  /** Decoded bytes of the answer they came in, for the memory budget (spec §15). */
  bytes: number;
  /** Epoch ms. */
  fetchedAt: number;
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
  /** The same deadline with another signal (a shared search's own). */
  with(signal: AbortSignal): Budget {
    return new Budget(this.remaining(), signal);
  }
}

/**
 * The relay's only door to Qualys IOC, and the only place that knows HTTP
 * status codes and transport errors (house style 5). Everything above it sees
 * events or `RelayError`s with spec §7 codes. Every search goes through the
 * spec §9 limits: token first, then the cache, a coalesced call, and a slot
 * of the caller's subscription.
 */
@Injectable()
export class QualysClient implements OnApplicationShutdown {
  private readonly config: QualysConfig;
  private readonly deadlineMs: number;

  constructor(
    settings: ConfigService<RelaySettings, true>,
    private readonly http: QualysHttp,
    private readonly tokens: QualysTokenCache,
    private readonly limits: QualysLimits,
    @Inject(QUALYS_CALL_OBSERVER) private readonly observer: QualysCallObserver,
  ) {
    const config = settings.get('relay', { infer: true });
    this.config = config.qualys;
    this.deadlineMs = config.deadlineMs;
  }

  /**
   * A relay request's scope: every search of it answers by `RELAY_DEADLINE_MS`
   * (spec §9). With `work`, it reserves the units of as many items as the
   * process admits (spec §15; `scope.admitted`).
   */
  beginRequest(work?: RequestWork): RelayRequestScope {
    if (work === undefined) return new RelayRequestScope(this.deadlineMs);
    return new RelayRequestScope(this.deadlineMs, Date.now(), {
      reservation: this.limits.admission.reserve(work.items, work.unitsPerItem),
      memory: this.limits.memory,
      launchWindow: this.config.concurrency,
    });
  }

  /** `GET /ioc/events` under the subscription's limits; 400/404 mean "nothing found" (spec §7). */
  async searchEvents(context: RelayContext, options: SearchOptions): Promise<SearchResult> {
    const { request } = options;
    const linked = linkSignals(request.signal, options.signal);
    // Spec §9: a search's retry budget never outlives its request's deadline.
    const budget = new Budget(Math.min(this.config.budgetMs, request.remainingMs()), linked.signal);
    const progress: SearchProgress = { waitingForLimits: false };
    const searchEnded = this.observer.searchStarted();
    try {
      return await this.search(context, options, budget, progress);
    } catch (error) {
      // The budget of a late search ends with its request's deadline, so a
      // call timing out then is the deadline too, whichever timer fired first.
      const late = request.expired || request.remainingMs() <= 0;
      const gaveUp =
        error instanceof SharedSearchLeftError ||
        (error instanceof RelayError && error.code === ErrorCode.CONNECTION);
      if (late && gaveUp) {
        const waiting =
          error instanceof SharedSearchLeftError
            ? error.waitingForLimits
            : progress.waitingForLimits;
        throw new SearchDeadlineError(waiting);
      }
      // The caller's own signal ended its wait for a shared search: the same
      // error as when it ends a call or the wait for the token.
      if (error instanceof SharedSearchLeftError) throw connectionError(context.apiUrl);
      throw error;
    } finally {
      linked.release();
      searchEnded();
    }
  }

  /** Spec §2 `/health`: one search of active events with page size 1, never from the cache. */
  async checkAccess(context: RelayContext): Promise<void> {
    const request = this.beginRequest();
    try {
      await this.searchEvents(context, { active: true, pageSize: 1, request, fresh: true });
    } catch (error) {
      if (error instanceof SearchDeadlineError) throw deadlineReached(error.waitingForLimits);
      throw error;
    } finally {
      request.end();
    }
  }

  /** After the graceful drain (health/graceful-shutdown.ts): no request needs the limits any more. */
  async onApplicationShutdown(): Promise<void> {
    await this.limits.close();
  }

  private async search(
    context: RelayContext,
    options: SearchOptions,
    budget: Budget,
    progress: SearchProgress,
  ): Promise<SearchResult> {
    const params: Record<string, string> = { pageSize: String(options.pageSize) };
    if (options.filter !== undefined) params.filter = options.filter;
    if (options.active) params.state = 'true';
    const url = `${context.apiUrl}/ioc/${this.config.apiVersion ? `${this.config.apiVersion}/` : ''}events`;
    const { subscriptionId, identity } = this.limits.keysOf(context, options);
    const turn: RequestTurn = options.request;

    // Spec §9: token first. A wrong password gets the /auth error, and never
    // another caller's results or a slot.
    const tokenKey = QualysTokenCache.keyOf(context.apiUrl, context.credentials);
    const token = await this.token(context, tokenKey, budget);
    const fetch = (signal: AbortSignal | undefined, shared: SearchProgress) =>
      this.fetchSearch(
        context,
        { url, params, token, tokenKey },
        signal ? budget.with(signal) : budget,
        subscriptionId,
        turn,
        shared,
      );
    if (options.fresh) return resultOf(await fetch(undefined, progress));

    const cached = await this.limits.sharing.cached(identity, options.pageSize);
    if (cached !== undefined)
      return {
        events: onlyObjects(cached.events),
        bytes: cached.bytes,
        fetchedAt: cached.fetchedAt,
      };
    const answer = await this.limits.sharing.share(
      identity,
      budget.signal,
      fetch,
      budget.remaining(),
    );
    return resultOf(answer);
  }

  /** The caller's token, shared by concurrent searches; a search that gives up stops waiting for it. */
  private token(context: RelayContext, key: string, budget: Budget): Promise<string> {
    // A token fetch is shared (single flight), so one search giving up must not abort it for the others.
    const fetchToken = () => this.fetchToken(context, budget.unsignalled());
    const onLookup = (result: TokenLookup) => this.observer.tokenLookup(result);
    return untilAborted(this.tokens.get(key, fetchToken, onLookup), budget.signal, () =>
      connectionError(context.apiUrl),
    );
  }

  /** One search answer from Qualys, with a token refreshed once after a 401 (spec §7). */
  private async fetchSearch(
    context: RelayContext,
    search: { url: string; params: Record<string, string>; token: string; tokenKey: string },
    budget: Budget,
    subscriptionId: string,
    turn: RequestTurn,
    progress: SearchProgress,
  ): Promise<SearchAnswer> {
    const { url, params } = search;
    const key = search.tokenKey;
    const pageSize = Number(params.pageSize);
    const { memory } = this.limits;
    // Spec §15: room for the answer before the call goes, kept across its
    // retries (a retry never queues behind later searches holding the room).
    let reserved = await this.roomFor(
      expectedAnswerBytes(pageSize, this.config.maxAnswerBytes),
      budget,
      progress,
    );
    try {
      for (let token = search.token, refreshed = false; ; refreshed = true) {
        if (refreshed) token = await this.token(context, key, budget);
        const { response, statusClass } = await this.callInSlot(
          context,
          url,
          params,
          token,
          budget,
          subscriptionId,
          turn,
          progress,
        );
        // Read already: the bytes exist, whatever the budget says.
        if (response.data.length > reserved) {
          memory.force(response.data.length - reserved);
          reserved = response.data.length;
        }
        if (statusClass === 'unauthorized' && !refreshed) {
          this.tokens.invalidate(key, token);
          continue;
        }
        const fetchedAt = Date.now();
        if (statusClass === 'not_found')
          return { pageSize, eventsJson: '[]', events: [], fetchedAt };
        if (statusClass !== 'success')
          throw errorForStatus(statusClass, response.status, response.data, context.credentials);
        const events = parseEventsArray(response.data, pageSize);
        return { pageSize, eventsJson: response.data, events, fetchedAt };
      }
    } finally {
      memory.give(reserved);
    }
  }

  /** Waits for room in the memory budget like for a slot (spec §15); returns the bytes held. */
  private async roomFor(bytes: number, budget: Budget, progress: SearchProgress): Promise<number> {
    progress.waitingForLimits = true;
    try {
      await this.limits.memory.take(bytes, budget.signal);
      return bytes;
    } catch (error) {
      if (error instanceof MemoryWaitAbortedError)
        throw new RelayError(ErrorCode.CONNECTION, error.message);
      throw error;
    } finally {
      progress.waitingForLimits = false;
    }
  }

  /**
   * Spec §9: one search call in a slot of the subscription. A concurrency
   * refusal goes back to the head of the queue without using a retry; a rate
   * refusal waits when the wait fits, else blocks the subscription until the
   * window reopens; 503 and other refusals are retried with back-off (§7).
   */
  private async callInSlot(
    context: RelayContext,
    url: string,
    params: Record<string, string>,
    token: string,
    budget: Budget,
    subscriptionId: string,
    turn: RequestTurn,
    progress: SearchProgress,
  ): Promise<Answer> {
    const { scheduler } = this.limits;
    let retry = 0;
    let front = false;
    for (;;) {
      if (budget.remaining() <= 0) throw connectionError(context.apiUrl);
      const waitStarted = performance.now();
      const grant = await this.slot(subscriptionId, turn, budget, front, progress);
      // What a trace shows of the call (spec §14); one observable per search, none for /health.
      const details: QualysCallDetails = {
        active: params.state === 'true',
        batchSize: params.filter === undefined ? 0 : 1,
        retry,
        slotWaitMs: performance.now() - waitStarted,
      };
      let answer: Answer;
      let kind: RefusalKind | undefined;
      let limits: LimitHeaders;
      try {
        answer = await this.call(
          context,
          budget,
          'search',
          (signal) =>
            this.http.request({
              method: 'GET',
              url,
              query: params,
              headers: {
                Authorization: `Bearer ${token}`,
                Accept: 'application/json',
                'Accept-Encoding': ACCEPT_ENCODING,
                'User-Agent': QUALYS_USER_AGENT,
              },
              signal,
              // Spec §15: `QUALYS_MAX_ANSWER_MB`, decoded: a runaway answer must not exhaust memory.
              maxBytes: this.config.maxAnswerBytes,
            }),
          details,
        );
        // What the answer says about the subscription is known before the
        // slot frees, so the next call already follows it (a probe's answer
        // clears or renews the block its waiters are waiting on).
        limits = readLimitHeaders(answer.response.headers, this.config.subscriptionConcurrencyMax);
        kind = this.learn(subscriptionId, answer.statusClass, limits, grant.probe);
      } finally {
        grant.release();
      }
      if (!isRetryable(answer.statusClass) && kind === undefined) return answer;
      if (kind === 'concurrency') {
        scheduler.refusedForConcurrency(subscriptionId);
        front = true;
        continue;
      }
      front = false;
      if (kind === 'rate') {
        const block = budgetBlock(limits);
        if (retry < this.config.retries && !block.probe && block.forMs + 100 < budget.remaining()) {
          progress.waitingForLimits = true;
          await sleep(block.forMs, budget.signal);
          progress.waitingForLimits = false;
          retry++;
          continue;
        }
        // Spec §9: the budget is spent; no call of this subscription until the window reopens.
        await this.limits.stores.gate.block(
          subscriptionId,
          block.forMs,
          block.probe,
          this.probeLeaseMs(),
        );
        throw rateLimitReached(block.forMs);
      }
      if (retry >= this.config.retries) return answer;
      const wait = retryDelayMs(retry, answer.response.headers);
      // A wait that would leave no time for the call itself is not worth it.
      if (wait + 100 >= budget.remaining()) return answer;
      await sleep(wait, budget.signal);
      retry++;
    }
  }

  /** Waits for a slot; a spent budget answers at once (spec §9). */
  private async slot(
    subscriptionId: string,
    turn: RequestTurn,
    budget: Budget,
    front: boolean,
    progress: SearchProgress,
  ) {
    progress.waitingForLimits = true;
    try {
      return await this.limits.scheduler.acquire(subscriptionId, turn, budget.signal, front);
    } catch (error) {
      if (error instanceof BudgetSpentError) throw rateLimitReached(error.retryInMs);
      if (error instanceof SlotWaitAbortedError)
        throw new RelayError(ErrorCode.CONNECTION, error.message);
      throw error;
    } finally {
      progress.waitingForLimits = false;
    }
  }

  /**
   * What an answer says about the subscription (spec §9): its concurrency
   * limit, and whether its rate budget is spent. Returns the kind of refusal
   * for a refused call (429/409), else undefined.
   */
  private learn(
    subscriptionId: string,
    statusClass: QualysStatusClass,
    limits: LimitHeaders,
    probe: boolean,
  ): RefusalKind | undefined {
    const { scheduler, stores } = this.limits;
    if (limits.concurrencyLimit !== undefined)
      scheduler.learnLimit(subscriptionId, limits.concurrencyLimit);
    if (limits.remaining !== undefined)
      this.observer.budgetRemaining(subscriptionId, limits.remaining);
    if (statusClass === 'rate_limited') {
      const kind = refusalKind(limits);
      this.observer.refusal(kind);
      return kind === 'other' ? undefined : kind;
    }
    if (statusClass !== 'success' && statusClass !== 'not_found') return undefined;
    scheduler.answered(subscriptionId);
    if (limits.remaining === 0) {
      const block = budgetBlock(limits);
      void stores.gate.block(subscriptionId, block.forMs, block.probe, this.probeLeaseMs());
    } else if (probe) {
      void stores.gate.clear(subscriptionId);
    }
    return undefined;
  }

  /** How long one probe call may take before another caller may probe instead. */
  private probeLeaseMs(): number {
    return this.config.timeoutMs + 1000;
  }

  /** `POST /auth`, properly form-encoded; the body of a 2xx is the token. Exempt from the limits (spec §9). */
  private async fetchToken(context: RelayContext, budget: Budget): Promise<string> {
    const form = new URLSearchParams({
      username: context.credentials.user,
      password: context.credentials.pass,
      token: 'true',
    });
    for (let retry = 0; ; retry++) {
      if (budget.remaining() <= 0) throw connectionError(context.apiUrl);
      const { response, statusClass } = await this.call(context, budget, 'auth', (signal) =>
        this.http.request({
          method: 'POST',
          url: `${context.apiUrl}/auth`,
          body: form.toString(),
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Accept-Encoding': ACCEPT_ENCODING,
            'User-Agent': QUALYS_USER_AGENT,
          },
          signal,
          maxBytes: this.config.maxAnswerBytes,
        }),
      );
      if (statusClass === 'success') return tokenFromAuthAnswer(response.data);
      const wait = retryDelayMs(retry, response.headers);
      const retryable = isRetryable(statusClass) && retry < this.config.retries;
      // A wait that would leave no time for the call itself is not worth it.
      if (!retryable || wait + 100 >= budget.remaining())
        throw errorForStatus(statusClass, response.status, response.data, context.credentials);
      await sleep(wait, budget.signal);
    }
  }

  /** One HTTP call within the budget and the per-call timeout; a transport failure becomes a `RelayError`. */
  private async call(
    context: RelayContext,
    budget: Budget,
    operation: QualysOperation,
    send: (signal: AbortSignal) => Promise<QualysHttpResponse>,
    details?: QualysCallDetails,
  ): Promise<Answer> {
    const started = performance.now();
    // When the time left is what bounds the call, the request's deadline
    // signal ends it; the timer fires a little later, so a call never times
    // out just before the deadline and hands its slot and memory to a
    // waiting search that then cannot finish either (spec §9: that search
    // was waiting for limits). The request signal still stops it on time.
    const attempt = callSignal(
      Math.max(1, Math.min(this.config.timeoutMs, budget.remaining() + DEADLINE_GRACE_MS)),
      budget.signal,
    );
    try {
      const response = await send(attempt.signal);
      const statusClass = classifyStatus(operation, response.status);
      const seconds = (performance.now() - started) / 1000;
      this.observer.call(operation, statusClass, seconds, {
        retry: 0,
        ...details,
        status: response.status,
      });
      return { response, statusClass };
    } catch (error) {
      logUnansweredCall(context.apiUrl, operation, error, attempt.signal);
      const relayError = errorForTransportFailure(error, context.apiUrl);
      const outcome =
        relayError.code === ErrorCode.CONNECTION ? 'connection_error' : 'transport_error';
      this.observer.call(operation, outcome, (performance.now() - started) / 1000, details);
      throw relayError;
    } finally {
      attempt.release();
    }
  }
}

const MALFORMED_ANSWER: Record<JsonArrayProblem, string> = {
  invalid: 'the events answer is not valid JSON',
  'not-array': 'the events answer is not a JSON array',
  'too-many-elements': 'the events answer holds more events than the page size asked for',
  'too-complex': 'the events answer is nested too deeply or too densely',
};

/** Spec §15: more events than `pageSize` is malformed, and parsing stops there (json-array.ts). */
function parseEventsArray(body: string, pageSize: number): unknown[] {
  const parsed = parseJsonArray(body, pageSize);
  if (!parsed.ok) throw unexpectedResponse(MALFORMED_ANSWER[parsed.problem]);
  return parsed.elements;
}

function onlyObjects(events: readonly unknown[]): QualysEvent[] {
  return events.filter(
    (event): event is QualysEvent =>
      typeof event === 'object' && event !== null && !Array.isArray(event),
  );
}

function resultOf(answer: SearchAnswer): SearchResult {
  const events = onlyObjects(answer.events ?? parseEventsArray(answer.eventsJson, answer.pageSize));
  return { events, bytes: answer.eventsJson.length, fetchedAt: answer.fetchedAt };
}

/** Room a search claims before its call, never more than the largest answer read. */
function expectedAnswerBytes(pageSize: number, maxAnswerBytes: number): number {
  return Math.min(
    maxAnswerBytes,
    Math.max(MIN_EXPECTED_ANSWER_BYTES, pageSize * EXPECTED_EVENT_BYTES),
  );
}

/**
 * The signal of one HTTP call: aborts after `ms`, or when `caller` does.
 * Not AbortSignal.timeout()/any(): on Node 20 those stay reachable until
 * their timer fires once a listener was ever added (the transport adds one), about
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

/** One signal that aborts when either does; released when the search ends (see `callSignal`). */
function linkSignals(a: AbortSignal, b?: AbortSignal): { signal: AbortSignal; release(): void } {
  if (b === undefined) return { signal: a, release: () => undefined };
  const controller = new AbortController();
  const onA = (): void => controller.abort(a.reason);
  const onB = (): void => controller.abort(b.reason);
  if (a.aborted) onA();
  else if (b.aborted) onB();
  else {
    a.addEventListener('abort', onA, { once: true });
    b.addEventListener('abort', onB, { once: true });
  }
  return {
    signal: controller.signal,
    release: () => {
      a.removeEventListener('abort', onA);
      b.removeEventListener('abort', onB);
    },
  };
}

/** `promise`, or the error `onAbort` makes as soon as `signal` aborts. */
function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => Error,
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
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
