import { Inject, Injectable } from '@nestjs/common';
import { callSignal } from '../common/abort.js';
import { ErrorCode } from '../common/relay-error.js';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { QualysConfig } from '../config/relay-config.js';
import type { CallDeadline } from './call-deadline.js';
import {
  QUALYS_CALL_OBSERVER,
  type QualysCallDetails,
  type QualysCallObserver,
} from './qualys-call-observer.js';
import { errorForTransportFailure } from './qualys-errors.js';
import { QualysHttp, type QualysHttpRequest, type QualysHttpResponse } from './qualys-http.js';
import { classifyStatus, type QualysOperation, type QualysStatusClass } from './qualys-status.js';
import { QUALYS_USER_AGENT } from './qualys-transport.js';
import { logUnansweredCall } from './unanswered-call-log.js';

/** One HTTP answer of Qualys and what its status means (qualys-status.ts). */
export interface Answer {
  response: QualysHttpResponse;
  statusClass: QualysStatusClass;
}

/** A search call: the events URL and its query (filter, page size, state), with the caller's token. */
export interface SearchCall {
  url: string;
  query: Record<string, string>;
  token: string;
}

/** Event lists compress tenfold; `QualysHttp` decodes what Qualys compresses (qualys-http.ts). */
const ACCEPT_ENCODING = 'gzip, deflate, br';
/** How much later than the time left a call's own timer fires (see `send`). */
const DEADLINE_GRACE_MS = 50;

/**
 * One HTTP call to Qualys: its headers, its timeout within the call's
 * deadline, the answer decoded by `QualysHttp`, the observer told, and the
 * status read into an `Answer`. A call that gets no answer becomes a
 * `RelayError` (house style 5). What to do with the answer is the caller's.
 */
@Injectable()
export class QualysCaller {
  private readonly config: QualysConfig;

  constructor(
    settings: ConfigService<RelaySettings, true>,
    private readonly http: QualysHttp,
    @Inject(QUALYS_CALL_OBSERVER) private readonly observer: QualysCallObserver,
  ) {
    const config = settings.get('relay', { infer: true });
    this.config = config.qualys;
  }

  /** `GET` of the events URL with the caller's token. */
  search(
    apiUrl: string,
    call: SearchCall,
    deadline: CallDeadline,
    details: QualysCallDetails,
  ): Promise<Answer> {
    const request = {
      method: 'GET',
      url: call.url,
      query: call.query,
      headers: {
        Authorization: `Bearer ${call.token}`,
        Accept: 'application/json',
        'Accept-Encoding': ACCEPT_ENCODING,
        'User-Agent': QUALYS_USER_AGENT,
      },
    } as const;
    return this.send(apiUrl, deadline, 'search', request, details);
  }

  /** `POST /auth`, properly form-encoded (spec §7). */
  auth(apiUrl: string, form: URLSearchParams, deadline: CallDeadline): Promise<Answer> {
    const request = {
      method: 'POST',
      url: `${apiUrl}/auth`,
      body: form.toString(),
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Accept-Encoding': ACCEPT_ENCODING,
        'User-Agent': QUALYS_USER_AGENT,
      },
    } as const;
    return this.send(apiUrl, deadline, 'auth', request);
  }

  private async send(
    apiUrl: string,
    deadline: CallDeadline,
    operation: QualysOperation,
    request: Omit<QualysHttpRequest, 'signal' | 'maxBytes'>,
    details?: QualysCallDetails,
  ): Promise<Answer> {
    const started = performance.now();
    // When the time left is what bounds the call, the request's deadline
    // signal ends it; the timer fires a little later, so a call never times
    // out just before the deadline and hands its slot and memory to a
    // waiting search that then cannot finish either (spec §9: that search
    // was waiting for limits). The request signal still stops it on time.
    const attempt = callSignal(
      Math.max(1, Math.min(this.config.timeoutMs, deadline.remaining() + DEADLINE_GRACE_MS)),
      deadline.signal,
    );
    try {
      const response = await this.http.request({
        ...request,
        signal: attempt.signal,
        // Spec §15: `QUALYS_MAX_ANSWER_MB`, decoded: a runaway answer must not exhaust memory.
        maxBytes: this.config.maxAnswerBytes,
      });
      const statusClass = classifyStatus(operation, response.status);
      const seconds = (performance.now() - started) / 1000;
      this.observer.call(operation, statusClass, seconds, {
        retry: 0,
        ...details,
        status: response.status,
      });
      return { response, statusClass };
    } catch (error) {
      logUnansweredCall(apiUrl, operation, error, attempt.signal);
      const relayError = errorForTransportFailure(error, apiUrl);
      const outcome =
        relayError.code === ErrorCode.CONNECTION ? 'connection_error' : 'transport_error';
      this.observer.call(operation, outcome, (performance.now() - started) / 1000, details);
      throw relayError;
    } finally {
      attempt.release();
    }
  }
}
