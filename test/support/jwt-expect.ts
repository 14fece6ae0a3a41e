import { expect } from '@jest/globals';
import { AuthorizationError, ErrorCode } from '../../src/common/relay-error.js';

/**
 * Asserts that `promise` rejects with exactly the spec §3 authorization
 * failure for `reason`. Fails when the promise resolves.
 */
export async function expectAuthFailure(promise: Promise<unknown>, reason: string): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(AuthorizationError);
  await expect(promise).rejects.toMatchObject({
    code: ErrorCode.AUTHORIZATION,
    message: `Authorization failed: ${reason}`,
  });
}

/** Synchronous variant for functions that throw. */
export function expectAuthFailureSync(fn: () => unknown, reason: string): void {
  expect(fn).toThrow(new AuthorizationError(reason));
  expect(fn).toThrow(AuthorizationError);
}
