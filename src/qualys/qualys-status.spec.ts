import { describe, expect, it } from '@jest/globals';
import { classifyStatus, isRetryable, type QualysOperation } from './qualys-status.js';

const STATUSES = [200, 201, 204, 400, 401, 403, 404, 409, 418, 429, 500, 502, 503, 504];

const classes = (operation: QualysOperation) =>
  Object.fromEntries(STATUSES.map((status) => [status, classifyStatus(operation, status)]));

describe('classifyStatus (spec §7)', () => {
  it('reads 400 and 404 from a search as "nothing found"', () => {
    expect(classes('search')).toEqual({
      200: 'success',
      201: 'success',
      204: 'success',
      400: 'not_found',
      401: 'unauthorized',
      403: 'forbidden',
      404: 'not_found',
      409: 'rate_limited',
      418: 'client_error',
      429: 'rate_limited',
      500: 'server_error',
      502: 'server_error',
      503: 'unavailable',
      504: 'server_error',
    });
  });

  it('reads 400 and 404 from /auth as client errors: there is always something to find', () => {
    expect(classes('auth')).toEqual({
      ...classes('search'),
      400: 'client_error',
      404: 'client_error',
    });
  });
});

describe('isRetryable (spec §7, §9)', () => {
  it('retries 429, 409 and 503 only', () => {
    expect(STATUSES.filter((status) => isRetryable(classifyStatus('search', status)))).toEqual([
      409, 429, 503,
    ]);
  });
});
