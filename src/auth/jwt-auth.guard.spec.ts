import { beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { expectAuthFailure } from '../../test/support/jwt-expect.js';
import { mintSecretToken, TEST_CREDENTIALS } from '../../test/support/jwt-factory.js';
import {
  TEST_API_URL,
  TEST_JWT_SECRET,
  TEST_PLATFORM_URL,
  configServiceOf,
  testRelayConfig,
} from '../../test/support/jwt-test-config.js';
import { AuthReason } from './auth-reasons.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { Public } from './public.decorator.js';
import type { RelayHttpRequest } from './relay-http-request.js';
import { SecretTokenVerifier } from './secret-token-verifier.js';
import { TokenVerifier } from './token-verifier.js';

@Controller()
class ProtectedController {
  relay(): void {}

  @Public()
  version(): void {}
}

@Public()
@Controller()
class PublicController {
  anything(): void {}
}

/** A verifier that must never be reached: public routes do not look at tokens. */
class ExplodingVerifier extends TokenVerifier {
  calls = 0;
  verify(): Promise<never> {
    this.calls += 1;
    return Promise.reject(new Error('verifier must not be called'));
  }
}

function httpContext(
  controller: { prototype: object },
  handler: string,
  request: RelayHttpRequest,
): ExecutionContext {
  const method = (controller.prototype as Record<string, () => void>)[handler];
  return {
    getType: () => 'http',
    getClass: () => controller,
    getHandler: () => method,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

describe('JwtAuthGuard (spec §3, house style 4)', () => {
  const config = testRelayConfig();
  const guard = new JwtAuthGuard(
    new Reflector(),
    new SecretTokenVerifier(config.auth as never),
    configServiceOf(config),
  );
  let token: string;

  beforeAll(async () => {
    token = await mintSecretToken(TEST_JWT_SECRET, {
      ...TEST_CREDENTIALS,
      CTR_ENTITIES_LIMIT: '3',
    });
  });

  it('attaches the verified RelayContext to the request', async () => {
    const request: RelayHttpRequest = { headers: { authorization: `Bearer ${token}` } };
    await expect(
      guard.canActivate(httpContext(ProtectedController, 'relay', request)),
    ).resolves.toBe(true);
    expect(request.relayContext).toEqual({
      credentials: { user: TEST_CREDENTIALS.user, pass: TEST_CREDENTIALS.pass },
      apiUrl: TEST_API_URL,
      platformUrl: TEST_PLATFORM_URL,
      entitiesLimit: 3,
    });
  });

  it('denies by default: no header on an undecorated route', async () => {
    const request: RelayHttpRequest = { headers: {} };
    await expectAuthFailure(
      guard.canActivate(httpContext(ProtectedController, 'relay', request)),
      AuthReason.HEADER_MISSING,
    );
    expect(request.relayContext).toBeUndefined();
  });

  it.each<[string, string, string]>([
    ['wrong scheme', 'Basic dXNlcjpwYXNz', AuthReason.WRONG_TYPE],
    ['no token', 'Bearer ', AuthReason.WRONG_STRUCTURE],
    ['two parts', 'Bearer a.b', AuthReason.WRONG_STRUCTURE],
  ])('refuses %s', async (_name, authorization, reason) => {
    const request: RelayHttpRequest = { headers: { authorization } };
    await expectAuthFailure(
      guard.canActivate(httpContext(ProtectedController, 'relay', request)),
      reason,
    );
  });

  it('refuses a verified token whose payload lacks credentials', async () => {
    const request: RelayHttpRequest = {
      headers: { authorization: `Bearer ${await mintSecretToken(TEST_JWT_SECRET, { user: 'u' })}` },
    };
    await expectAuthFailure(
      guard.canActivate(httpContext(ProtectedController, 'relay', request)),
      AuthReason.WRONG_PAYLOAD,
    );
    expect(request.relayContext).toBeUndefined();
  });

  it('refuses a token URL outside the Qualys allow-list', async () => {
    const evil = await mintSecretToken(TEST_JWT_SECRET, {
      ...TEST_CREDENTIALS,
      API_URL: 'https://evil.example',
    });
    const request: RelayHttpRequest = { headers: { authorization: `Bearer ${evil}` } };
    await expectAuthFailure(
      guard.canActivate(httpContext(ProtectedController, 'relay', request)),
      'API_URL in JWT payload names a host that is not on the allowed Qualys host list',
    );
  });

  describe('@Public()', () => {
    const verifier = new ExplodingVerifier();
    const publicGuard = new JwtAuthGuard(new Reflector(), verifier, configServiceOf(config));

    it('skips a public handler without reading the header', async () => {
      const request: RelayHttpRequest = { headers: { authorization: 'Basic nonsense' } };
      await expect(
        publicGuard.canActivate(httpContext(ProtectedController, 'version', request)),
      ).resolves.toBe(true);
      expect(request.relayContext).toBeUndefined();
      expect(verifier.calls).toBe(0);
    });

    it('skips every handler of a public controller', async () => {
      const request: RelayHttpRequest = { headers: {} };
      await expect(
        publicGuard.canActivate(httpContext(PublicController, 'anything', request)),
      ).resolves.toBe(true);
      expect(verifier.calls).toBe(0);
    });

    it('still guards the other handlers of a controller with one public route', async () => {
      const request: RelayHttpRequest = { headers: {} };
      await expectAuthFailure(
        publicGuard.canActivate(httpContext(ProtectedController, 'relay', request)),
        AuthReason.HEADER_MISSING,
      );
    });
  });
});
