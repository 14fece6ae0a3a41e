import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import { generateKeyPair, SignJWT } from 'jose';
import { startJwksServer, type JwksServer } from '../../test/support/jwks-server.js';
import { expectAuthFailure } from '../../test/support/jwt-expect.js';
import {
  craftUnsignedToken,
  generateRsaKeyPairJwk,
  mintJwksToken,
  mintSecretToken,
  TEST_CREDENTIALS,
  type RsaKeyPairJwk,
} from '../../test/support/jwt-factory.js';
import { TEST_AUDIENCE, testJwksAuth } from '../../test/support/jwt-test-config.js';
import type { JwksAuthConfig } from '../config/relay-config.js';
import { AuthReason, jwksUnreachable } from './auth-reasons.js';
import { JwksKeySets, type JwksKeySetOptions } from './jwks-key-sets.js';
import { JwksTokenVerifier } from './jwks-token-verifier.js';

const now = (): number => Math.floor(Date.now() / 1000);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Captures what the key sets log, to prove no token or password ends up there. */
const logged: string[] = [];
const capture: LoggerService = {
  log: (message: unknown) => logged.push(String(message)),
  warn: (message: unknown) => logged.push(String(message)),
  error: (message: unknown) => logged.push(String(message)),
};

describe('JwksTokenVerifier (AUTH_MODE=jwks, spec §3) against a real https JWKS host', () => {
  let server: JwksServer;
  let key1: RsaKeyPairJwk;
  let key2: RsaKeyPairJwk;
  let stranger: RsaKeyPairJwk;

  beforeAll(async () => {
    Logger.overrideLogger(capture);
    [key1, key2, stranger] = await Promise.all([
      generateRsaKeyPairJwk('key-1'),
      generateRsaKeyPairJwk('key-2'),
      generateRsaKeyPairJwk('key-1'), // same kid as key1, different key
    ]);
    server = await startJwksServer({ keys: { keys: [key1.publicJwk] } });
  });

  afterAll(async () => {
    await server.close();
  });

  afterEach(() => {
    server.setKeys({ keys: [key1.publicJwk] });
  });

  /** A fresh verifier (fresh key-set cache) per test, so request counts are exact. */
  function verifierFor(
    keySetOptions: Partial<JwksKeySetOptions> = {},
    auth: Partial<JwksAuthConfig> = {},
  ): JwksTokenVerifier {
    const config = testJwksAuth([server.host], auth) as JwksAuthConfig;
    return new JwksTokenVerifier(
      config,
      new JwksKeySets({
        cacheTtlMs: config.jwksCacheTtlMs,
        timeoutMs: config.jwksTimeoutMs,
        cooldownMs: 30_000,
        ...keySetOptions,
      }),
    );
  }

  function payload(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { ...TEST_CREDENTIALS, jwks_host: server.host, ...extra };
  }

  async function tokenFor(
    key: RsaKeyPairJwk,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    return mintJwksToken(key.privateKey, key.kid, payload(extra), { audience: TEST_AUDIENCE });
  }

  it('fetches the key over https, verifies, then serves the second token from the cache', async () => {
    const verifier = verifierFor();
    const before = server.requests;
    await expect(verifier.verify(await tokenFor(key1))).resolves.toMatchObject(payload());
    expect(server.requests - before).toBe(1);
    await expect(verifier.verify(await tokenFor(key1, { user: 'other' }))).resolves.toMatchObject({
      user: 'other',
    });
    expect(server.requests - before).toBe(1);
  });

  it('accepts the allow-listed host in another letter case', async () => {
    const verifier = verifierFor();
    const token = await mintJwksToken(
      key1.privateKey,
      key1.kid,
      payload({ jwks_host: server.host.toUpperCase() }),
      {
        audience: TEST_AUDIENCE,
      },
    );
    await expect(verifier.verify(token)).resolves.toMatchObject(TEST_CREDENTIALS);
  });

  it('shares one fetch between concurrent first requests', async () => {
    const verifier = verifierFor();
    const before = server.requests;
    const tokens = await Promise.all([tokenFor(key1), tokenFor(key1), tokenFor(key1)]);
    await expect(Promise.all(tokens.map((t) => verifier.verify(t)))).resolves.toHaveLength(3);
    expect(server.requests - before).toBe(1);
  });

  it('fetches again once the cache lifetime has passed', async () => {
    const verifier = verifierFor({ cacheTtlMs: 50 });
    const before = server.requests;
    await verifier.verify(await tokenFor(key1));
    await sleep(80);
    await verifier.verify(await tokenFor(key1));
    expect(server.requests - before).toBe(2);
  });

  describe('unknown kid', () => {
    it('refreshes exactly once, then fails', async () => {
      const verifier = verifierFor({ cooldownMs: 0 });
      await verifier.verify(await tokenFor(key1));
      const before = server.requests;
      await expectAuthFailure(verifier.verify(await tokenFor(key2)), AuthReason.KID_NOT_FOUND);
      expect(server.requests - before).toBe(1);
    });

    it('does not refresh during the cooldown after a fetch', async () => {
      const verifier = verifierFor({ cooldownMs: 30_000 });
      await verifier.verify(await tokenFor(key1));
      const before = server.requests;
      await expectAuthFailure(verifier.verify(await tokenFor(key2)), AuthReason.KID_NOT_FOUND);
      await expectAuthFailure(verifier.verify(await tokenFor(key2)), AuthReason.KID_NOT_FOUND);
      expect(server.requests - before).toBe(0);
    });

    it('picks up a rotated key with that one refresh', async () => {
      const verifier = verifierFor({ cooldownMs: 0 });
      await verifier.verify(await tokenFor(key1));
      server.setKeys({ keys: [key1.publicJwk, key2.publicJwk] });
      const before = server.requests;
      await expect(verifier.verify(await tokenFor(key2))).resolves.toMatchObject(TEST_CREDENTIALS);
      expect(server.requests - before).toBe(1);
    });

    it('refuses a token without kid, before any request', async () => {
      const verifier = verifierFor();
      const before = server.requests;
      const token = await mintJwksToken(key1.privateKey, undefined, payload(), {
        audience: TEST_AUDIENCE,
      });
      await expectAuthFailure(verifier.verify(token), AuthReason.KID_NOT_FOUND);
      expect(server.requests).toBe(before);
    });
  });

  describe('jwks_host allow-list: refused before any network call', () => {
    it.each<[string, unknown]>([
      ['another host', 'visibility.amp.cisco.com.evil.net'],
      ['the right IP with another port', '127.0.0.1:1'],
      ['a path appended', 'HOST/evil'],
      ['userinfo prepended', 'user@HOST'],
      ['a trailing dot', 'HOST.'],
      ['a number', 443],
      ['an empty string', ''],
      ['missing', undefined],
    ])('%s', async (_name, jwksHost) => {
      const verifier = verifierFor();
      const before = server.requests;
      const value = typeof jwksHost === 'string' ? jwksHost.replace('HOST', server.host) : jwksHost;
      const token = await mintJwksToken(key1.privateKey, key1.kid, payload({ jwks_host: value }), {
        audience: TEST_AUDIENCE,
      });
      await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_JWKS_HOST);
      expect(server.requests).toBe(before);
    });

    it('also when this very server is simply not on the list', async () => {
      const verifier = new JwksTokenVerifier(
        testJwksAuth(['visibility.amp.cisco.com']) as JwksAuthConfig,
        new JwksKeySets({ cacheTtlMs: 1000, timeoutMs: 500, cooldownMs: 0 }),
      );
      const before = server.requests;
      await expectAuthFailure(verifier.verify(await tokenFor(key1)), AuthReason.WRONG_JWKS_HOST);
      expect(server.requests).toBe(before);
    });
  });

  describe('algorithms', () => {
    it('refuses alg none without a request', async () => {
      const verifier = verifierFor();
      const before = server.requests;
      const token = craftUnsignedToken({ ...payload(), aud: TEST_AUDIENCE }, { kid: key1.kid });
      await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_KEY);
      expect(server.requests).toBe(before);
    });

    it('refuses HS256 MACed with the RSA public key (key confusion)', async () => {
      const verifier = verifierFor();
      const before = server.requests;
      const token = await mintSecretToken(new TextEncoder().encode(key1.publicPem), payload(), {
        audience: TEST_AUDIENCE,
        header: { kid: key1.kid },
      });
      await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_KEY);
      expect(server.requests).toBe(before);
    });

    it.each(['PS256', 'RS512', 'ES256'])('refuses %s, before any request', async (alg) => {
      const verifier = verifierFor();
      const { privateKey } = await generateKeyPair(alg);
      const token = await new SignJWT(payload())
        .setProtectedHeader({ alg, kid: key1.kid })
        .setAudience(TEST_AUDIENCE)
        .sign(privateKey);
      const before = server.requests;
      await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_KEY);
      expect(server.requests).toBe(before);
    });

    it('refuses a token signed by another key under a known kid', async () => {
      const verifier = verifierFor();
      await expectAuthFailure(verifier.verify(await tokenFor(stranger)), AuthReason.WRONG_KEY);
    });
  });

  describe('claims', () => {
    it('refuses a missing aud', async () => {
      const verifier = verifierFor();
      const token = await mintJwksToken(key1.privateKey, key1.kid, payload());
      await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_AUDIENCE);
    });

    it('refuses a wrong aud', async () => {
      const verifier = verifierFor();
      const token = await mintJwksToken(key1.privateKey, key1.kid, payload(), {
        audience: 'https://other.example',
      });
      await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_AUDIENCE);
    });

    it('accepts aud as an array that contains the audience', async () => {
      const verifier = verifierFor();
      const token = await mintJwksToken(key1.privateKey, key1.kid, payload(), {
        audience: ['https://other.example', TEST_AUDIENCE],
      });
      await expect(verifier.verify(token)).resolves.toMatchObject(TEST_CREDENTIALS);
    });

    it('refuses an expired token', async () => {
      const verifier = verifierFor();
      const token = await mintJwksToken(key1.privateKey, key1.kid, payload(), {
        audience: TEST_AUDIENCE,
        expiresAt: now() - 3600,
      });
      await expectAuthFailure(verifier.verify(token), AuthReason.EXPIRED);
    });

    it('refuses a token that is not valid yet', async () => {
      const verifier = verifierFor();
      const token = await mintJwksToken(key1.privateKey, key1.kid, payload(), {
        audience: TEST_AUDIENCE,
        notBefore: now() + 3600,
      });
      await expectAuthFailure(verifier.verify(token), AuthReason.NOT_YET_VALID);
    });
  });

  describe('an unusable JWKS host', () => {
    it('refuses a redirect instead of following it', async () => {
      const verifier = verifierFor();
      server.setRedirect(server.url); // following it would succeed: proves it is not followed
      const before = server.requests;
      await expectAuthFailure(verifier.verify(await tokenFor(key1)), jwksUnreachable(server.host));
      expect(server.requests - before).toBe(1);
    });

    it.each([500, 404, 204])('refuses HTTP %i', async (status) => {
      const verifier = verifierFor();
      server.setBehaviour({ kind: 'status', status });
      await expectAuthFailure(verifier.verify(await tokenFor(key1)), jwksUnreachable(server.host));
    });

    it('logs the failure with the host and cause, never the token or credentials', async () => {
      const verifier = verifierFor();
      server.setBehaviour({ kind: 'status', status: 503 });
      logged.length = 0;
      const token = await tokenFor(key1);
      await expectAuthFailure(verifier.verify(token), jwksUnreachable(server.host));
      expect(logged).toEqual([
        `JWKS fetch from ${server.host} failed: JOSEError ERR_JOSE_GENERIC Expected 200 OK from the JSON Web Key Set HTTP response`,
      ]);
      expect(logged.join('\n')).not.toContain(TEST_CREDENTIALS.pass);
      expect(logged.join('\n')).not.toContain(token.split('.')[1]);
    });

    it('refuses a body that is not JSON', async () => {
      const verifier = verifierFor();
      server.setBehaviour({ kind: 'garbage' });
      await expectAuthFailure(verifier.verify(await tokenFor(key1)), jwksUnreachable(server.host));
    });

    it('refuses JSON that is not a key set', async () => {
      const verifier = verifierFor();
      server.setKeys({ nope: true } as never);
      await expectAuthFailure(verifier.verify(await tokenFor(key1)), jwksUnreachable(server.host));
    });

    it('gives up after the timeout when the host hangs', async () => {
      const verifier = verifierFor({ timeoutMs: 200 });
      server.setBehaviour({ kind: 'hang' });
      const started = Date.now();
      await expectAuthFailure(verifier.verify(await tokenFor(key1)), jwksUnreachable(server.host));
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('refuses a host that refuses connections', async () => {
      const closed = await startJwksServer({ keys: { keys: [] } });
      const host = closed.host;
      await closed.close();
      const verifier = new JwksTokenVerifier(
        testJwksAuth([host]) as JwksAuthConfig,
        new JwksKeySets({ cacheTtlMs: 1000, timeoutMs: 500, cooldownMs: 0 }),
      );
      const token = await mintJwksToken(key1.privateKey, key1.kid, payload({ jwks_host: host }), {
        audience: TEST_AUDIENCE,
      });
      await expectAuthFailure(verifier.verify(token), jwksUnreachable(host));
    });

    it('refuses a certificate that does not name the host (TLS stays strict)', async () => {
      // Same CA, but the certificate names localhost and 127.0.0.1 only:
      // the connection is made, the handshake is refused, no request is sent.
      const other = await startJwksServer({
        keys: { keys: [key1.publicJwk] },
        address: '127.0.0.2',
      });
      try {
        const verifier = new JwksTokenVerifier(
          testJwksAuth([other.host]) as JwksAuthConfig,
          new JwksKeySets({ cacheTtlMs: 1000, timeoutMs: 500, cooldownMs: 0 }),
        );
        const token = await mintJwksToken(
          key1.privateKey,
          key1.kid,
          payload({ jwks_host: other.host }),
          {
            audience: TEST_AUDIENCE,
          },
        );
        await expectAuthFailure(verifier.verify(token), jwksUnreachable(other.host));
        expect(other.connections).toBeGreaterThan(0);
        expect(other.requests).toBe(0);
      } finally {
        await other.close();
      }
    });
  });
});
