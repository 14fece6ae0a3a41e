import { describe, expect, it } from '@jest/globals';
import { BODY_TOO_LARGE, CALL_ABORTED, QualysTransportError } from './qualys-http.js';
import { unansweredCall } from './unanswered-call-log.js';

const API_URL = 'https://gateway.qg2.apps.qualys.com';
const live = new AbortController().signal;

function abortedWith(reason: unknown): AbortSignal {
  const controller = new AbortController();
  controller.abort(reason);
  return controller.signal;
}

describe('unansweredCall', () => {
  it('names the API host, the operation and the socket cause of a refused call', () => {
    const error = new QualysTransportError(
      'connect ECONNREFUSED 127.0.0.1:9',
      'ECONNREFUSED',
      undefined,
    );
    expect(unansweredCall(`${API_URL}`, 'search', error, live)).toEqual({
      apiHost: 'gateway.qg2.apps.qualys.com',
      operation: 'search',
      cause: 'connect ECONNREFUSED 127.0.0.1:9',
      code: 'ECONNREFUSED',
    });
  });

  it('names the egress proxy a call went through, and a TLS failure', () => {
    const error = new QualysTransportError(
      'self-signed certificate',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'proxy.corp.example:3128',
    );
    expect(unansweredCall('https://qualys.example:8443/base', 'auth', error, live)).toEqual({
      apiHost: 'qualys.example:8443',
      operation: 'auth',
      cause: 'self-signed certificate',
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      proxyHost: 'proxy.corp.example:3128',
    });
  });

  it('reports a call whose own timeout fired as timed out', () => {
    const error = new QualysTransportError('the call was aborted', CALL_ABORTED, undefined);
    const timedOut = abortedWith(new DOMException('The call timed out', 'TimeoutError'));
    expect(unansweredCall(API_URL, 'search', error, timedOut)).toEqual({
      apiHost: 'gateway.qg2.apps.qualys.com',
      operation: 'search',
      cause: 'the call timed out',
      code: 'ETIMEDOUT',
    });
  });

  it('says nothing of a call the caller abandoned, of a too large answer, or of other errors', () => {
    const abandoned = new QualysTransportError('the call was aborted', CALL_ABORTED, undefined);
    expect(unansweredCall(API_URL, 'search', abandoned, abortedWith(new Error('left')))).toBe(
      undefined,
    );
    const large = new QualysTransportError('too large', BODY_TOO_LARGE, undefined);
    expect(unansweredCall(API_URL, 'search', large, live)).toBe(undefined);
    expect(unansweredCall(API_URL, 'search', new Error('bug'), live)).toBe(undefined);
  });
});
