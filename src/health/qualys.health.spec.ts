import { describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { RelayContext } from '../auth/relay-context.js';
import { AuthorizationError, ErrorCode, RelayError } from '../common/relay-error.js';
import type { QualysClient } from '../qualys/qualys.client.js';
import { QualysHealthIndicator, toRelayHealth } from './qualys.health.js';

const context: RelayContext = {
  credentials: { user: 'u', pass: 'p' },
  apiUrl: 'https://gateway.qg2.apps.qualys.com',
  platformUrl: 'https://qualysguard.qg2.apps.qualys.com',
  entitiesLimit: 100,
};

function indicatorWith(
  checkAccess: (context: RelayContext) => Promise<void>,
): QualysHealthIndicator {
  return new QualysHealthIndicator(new HealthIndicatorService(), {
    checkAccess,
  } as unknown as QualysClient);
}

describe('QualysHealthIndicator', () => {
  it("is up when the caller's credentials pass the access check", async () => {
    const seen: RelayContext[] = [];
    const indicator = indicatorWith((ctx) => {
      seen.push(ctx);
      return Promise.resolve();
    });
    expect(await indicator.check(context)).toEqual({ qualys: { status: 'up' } });
    expect(seen).toEqual([context]);
  });

  it("is down with the RelayError's code and message, unchanged", async () => {
    const indicator = indicatorWith(() =>
      Promise.reject(new AuthorizationError('InvalidCredentialsException')),
    );
    expect(await indicator.check(context)).toEqual({
      qualys: {
        status: 'down',
        code: 'authorization error',
        message: 'Authorization failed: InvalidCredentialsException',
      },
    });
  });

  it('lets an unexpected error through for the exception filter to log', async () => {
    const bug = new TypeError('undefined is not a function');
    await expect(indicatorWith(() => Promise.reject(bug)).check(context)).rejects.toBe(bug);
  });
});

describe('toRelayHealth', () => {
  it('answers the spec §2 body when Qualys is up', () => {
    expect(toRelayHealth({ qualys: { status: 'up' } })).toEqual({ data: { status: 'ok' } });
  });

  it('throws the RelayError the indicator reported, code and message preserved', () => {
    const down = {
      qualys: {
        status: 'down' as const,
        code: ErrorCode.SERVICE_UNAVAILABLE,
        message: 'Service temporarily unavailable. Please try again later.',
      },
    };
    let thrown: unknown;
    try {
      toRelayHealth(down);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RelayError);
    expect((thrown as RelayError).toItem()).toEqual({
      type: 'fatal',
      code: 'service unavailable',
      message: 'Service temporarily unavailable. Please try again later.',
    });
  });
});
