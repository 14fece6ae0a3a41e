import { describe, expect, it } from '@jest/globals';
import { AuthorizationError, ErrorCode, RelayError } from '../common/relay-error.js';
import { errorForStatus } from './qualys-errors.js';
import { classifyStatus, type QualysStatusClass } from './qualys-status.js';

const TOO_MANY = 'Too many requests to Qualys IOC have been made. Please try again later.';
const UNAVAILABLE = 'Service temporarily unavailable. Please try again later.';

const credentials = { user: 'tenant-user', pass: 'hunter2!' };

describe('errorForStatus (spec §7)', () => {
  it.each<[number, string, RelayError]>([
    [
      401,
      '{"authentication_exceptions":["InvalidCredentialsException for tenant-user"]}',
      new AuthorizationError('InvalidCredentialsException for [redacted]'),
    ],
    [401, '', new AuthorizationError('Unauthorized')],
    [
      403,
      'User tenant-user has no IOC access',
      new RelayError(ErrorCode.PERMISSION_DENIED, 'User [redacted] has no IOC access'),
    ],
    [
      500,
      'upstream said: Authorization: Bearer abc.def.ghi\nuser=tenant-user pass=hunter2!',
      new RelayError(
        ErrorCode.UNKNOWN,
        'Unexpected response from Qualys IOC: upstream said: Authorization: [redacted] user=[redacted] pass=[redacted]',
      ),
    ],
    [
      502,
      '   ',
      new RelayError(ErrorCode.UNKNOWN, 'Unexpected response from Qualys IOC: HTTP 502'),
    ],
    [429, 'slow down', new RelayError(ErrorCode.TOO_MANY_REQUESTS, TOO_MANY)],
    [409, '', new RelayError(ErrorCode.TOO_MANY_REQUESTS, TOO_MANY)],
    [503, '<html>', new RelayError(ErrorCode.SERVICE_UNAVAILABLE, UNAVAILABLE)],
    [
      404,
      'no such route',
      new RelayError(ErrorCode.UNKNOWN, 'Unexpected response from Qualys IOC: no such route'),
    ],
  ])('maps a failed /auth answer %i, quoting it scrubbed', (status, body, expected) => {
    const error = errorForStatus(
      classifyStatus('auth', status) as Exclude<QualysStatusClass, 'success'>,
      status,
      body,
      credentials,
    );
    expect([error.constructor, error.toItem()]).toEqual([expected.constructor, expected.toItem()]);
  });
});
