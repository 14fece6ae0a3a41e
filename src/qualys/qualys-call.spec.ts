import { describe, expect, it } from '@jest/globals';
import { configServiceOf, testRelayConfig } from '../../test/support/jwt-test-config.js';
import { CallDeadline } from './call-deadline.js';
import type { QualysCallObserver } from './qualys-call-observer.js';
import { QualysCaller } from './qualys-call.js';
import { connectionError, unexpectedResponse } from './qualys-errors.js';
import {
  BODY_TOO_LARGE,
  QualysTransportError,
  type QualysHttp,
  type QualysHttpRequest,
  type QualysHttpResponse,
} from './qualys-http.js';

const API = 'https://gateway.qg1.apps.qualys.com';

/** The observer's `call` reports; nothing else is called by one call. */
function callsObserver() {
  const calls: unknown[][] = [];
  const observer = {
    call: (operation, outcome, seconds, details) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      calls.push([operation, outcome, details]);
    },
  } as Partial<QualysCallObserver> as QualysCallObserver;
  return { calls, observer };
}

/** `QualysHttp` answering with `answer(request)`, keeping every request. */
function fakeHttp(answer: (request: QualysHttpRequest) => Promise<QualysHttpResponse>) {
  const requests: QualysHttpRequest[] = [];
  const http = {
    request: (request: QualysHttpRequest) => {
      requests.push(request);
      return answer(request);
    },
  } as QualysHttp;
  return { http, requests };
}

const ok = (status = 200): Promise<QualysHttpResponse> =>
  Promise.resolve({ status, headers: {}, data: '[]' });

function caller(http: QualysHttp, observer: QualysCallObserver, timeoutMs = 1000) {
  const config = testRelayConfig({ qualys: { timeoutMs, maxAnswerBytes: 4096 } });
  return new QualysCaller(configServiceOf(config), http, observer);
}

describe('QualysCaller: one HTTP call to Qualys', () => {
  it('sends a search with the token and the relay’s headers, and reads its status', async () => {
    const { http, requests } = fakeHttp(() => ok(404));
    const { calls, observer } = callsObserver();
    const answer = await caller(http, observer).search(
      API,
      { url: `${API}/ioc/events`, query: { pageSize: '10', state: 'true' }, token: 'a.b.c' },
      new CallDeadline(5000),
      { active: true, batchSize: 1, retry: 2, slotWaitMs: 3 },
    );
    expect(answer).toEqual({
      response: { status: 404, headers: {}, data: '[]' },
      statusClass: 'not_found',
    });
    expect(requests).toEqual([
      {
        method: 'GET',
        url: `${API}/ioc/events`,
        query: { pageSize: '10', state: 'true' },
        headers: {
          Authorization: 'Bearer a.b.c',
          Accept: 'application/json',
          'Accept-Encoding': 'gzip, deflate, br',
          'User-Agent': expect.stringMatching(/^qualys-ioc-relay\/\d+\.\d+\.\d+/),
        },
        signal: expect.any(AbortSignal),
        maxBytes: 4096,
      },
    ]);
    expect(calls).toEqual([
      ['search', 'not_found', { active: true, batchSize: 1, retry: 2, slotWaitMs: 3, status: 404 }],
    ]);
  });

  it('posts the form to /auth', async () => {
    const { http, requests } = fakeHttp(() => ok(401));
    const { calls, observer } = callsObserver();
    const form = new URLSearchParams({ username: 'u', password: 'p&q', token: 'true' });
    const answer = await caller(http, observer).auth(API, form, new CallDeadline(5000));
    expect(answer.statusClass).toBe('unauthorized');
    expect(requests.map(({ signal: _signal, ...rest }) => rest)).toEqual([
      {
        method: 'POST',
        url: `${API}/auth`,
        body: 'username=u&password=p%26q&token=true',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Accept-Encoding': 'gzip, deflate, br',
          'User-Agent': expect.stringMatching(/^qualys-ioc-relay\//),
        },
        maxBytes: 4096,
      },
    ]);
    expect(calls).toEqual([['auth', 'unauthorized', { retry: 0, status: 401 }]]);
  });

  it('times a call out a little after the deadline when the deadline comes first', async () => {
    const aborted = (request: QualysHttpRequest) =>
      new Promise<QualysHttpResponse>((_resolve, reject) => {
        const started = Date.now();
        request.signal.addEventListener('abort', () =>
          reject(
            new QualysTransportError(
              `aborted after ${Date.now() - started} ms`,
              undefined,
              undefined,
            ),
          ),
        );
      });
    const { http } = fakeHttp(aborted);
    const { calls, observer } = callsObserver();
    const started = Date.now();
    const failure = await caller(http, observer, 10_000)
      .auth(API, new URLSearchParams(), new CallDeadline(100))
      .catch((error: unknown) => error);
    const elapsed = Date.now() - started;
    expect(failure).toEqual(connectionError(API));
    // 100 ms left, then the 50 ms grace; never the 10 s timeout.
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
    expect(calls).toEqual([['auth', 'connection_error', undefined]]);
  });

  it('turns a call without an answer into the relay error, counted by outcome', async () => {
    const { http } = fakeHttp(() =>
      Promise.reject(new QualysTransportError('too large', BODY_TOO_LARGE, undefined)),
    );
    const { calls, observer } = callsObserver();
    const details = { retry: 0 };
    const failure = await caller(http, observer)
      .search(
        API,
        { url: `${API}/ioc/events`, query: {}, token: 't' },
        new CallDeadline(5000),
        details,
      )
      .catch((error: unknown) => error);
    expect(failure).toEqual(unexpectedResponse('the response body is too large'));
    expect(calls).toEqual([['search', 'transport_error', details]]);
  });
});
