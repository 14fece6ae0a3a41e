import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  b64url,
  craftUnsignedToken,
  generateRsaKeyPairJwk,
  mintJwksToken,
  mintSecretToken,
  TEST_CREDENTIALS,
  type RsaKeyPairJwk,
} from '../../test/support/jwt-factory.js';
import { expectAuthFailure } from '../../test/support/jwt-expect.js';
import { TEST_JWT_SECRET } from '../../test/support/jwt-test-config.js';
import { AuthReason } from './auth-reasons.js';
import { SecretTokenVerifier } from './secret-token-verifier.js';

const now = (): number => Math.floor(Date.now() / 1000);

describe('SecretTokenVerifier (AUTH_MODE=secret, spec §3)', () => {
  const verifier = new SecretTokenVerifier({ mode: 'secret', secret: TEST_JWT_SECRET });
  let rsa: RsaKeyPairJwk;

  beforeAll(async () => {
    rsa = await generateRsaKeyPairJwk('rsa-1');
  });

  it('returns the payload of a valid HS256 token', async () => {
    const token = await mintSecretToken(TEST_JWT_SECRET, {
      ...TEST_CREDENTIALS,
      API_URL: 'https://a.qualys.com',
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({
      ...TEST_CREDENTIALS,
      API_URL: 'https://a.qualys.com',
    });
  });

  it('accepts a token without exp or nbf (enforced only when present)', async () => {
    const token = await mintSecretToken(TEST_JWT_SECRET, TEST_CREDENTIALS, { expiresAt: null });
    await expect(verifier.verify(token)).resolves.toMatchObject(TEST_CREDENTIALS);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await mintSecretToken(
      'another-secret-0123456789abcdef0123456789',
      TEST_CREDENTIALS,
    );
    await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_KEY);
  });

  it('refuses a tampered payload', async () => {
    const token = await mintSecretToken(TEST_JWT_SECRET, TEST_CREDENTIALS);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64url({ ...TEST_CREDENTIALS, user: 'admin' })}.${signature}`;
    await expectAuthFailure(verifier.verify(forged), AuthReason.WRONG_KEY);
  });

  it('refuses alg none', async () => {
    await expectAuthFailure(
      verifier.verify(craftUnsignedToken(TEST_CREDENTIALS)),
      AuthReason.WRONG_KEY,
    );
  });

  it('refuses alg none with a fake signature part', async () => {
    const token = `${craftUnsignedToken(TEST_CREDENTIALS)}c2ln`;
    await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_KEY);
  });

  it('refuses RS256, even with a valid signature', async () => {
    const token = await mintJwksToken(rsa.privateKey, rsa.kid, TEST_CREDENTIALS);
    await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_KEY);
  });

  it('refuses HS256 MACed with an RSA public key PEM as the secret', async () => {
    const token = await mintSecretToken(rsa.publicPem, TEST_CREDENTIALS);
    await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_KEY);
  });

  it('refuses HS384/HS512 with the right secret', async () => {
    const token = await mintSecretToken(TEST_JWT_SECRET, TEST_CREDENTIALS, {
      header: { alg: 'HS512' },
    });
    await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_KEY);
  });

  it('refuses an expired token', async () => {
    const token = await mintSecretToken(TEST_JWT_SECRET, TEST_CREDENTIALS, {
      expiresAt: now() - 120,
    });
    await expectAuthFailure(verifier.verify(token), AuthReason.EXPIRED);
  });

  it('tolerates 30 s of clock skew on exp', async () => {
    const token = await mintSecretToken(TEST_JWT_SECRET, TEST_CREDENTIALS, {
      expiresAt: now() - 10,
    });
    await expect(verifier.verify(token)).resolves.toMatchObject(TEST_CREDENTIALS);
  });

  it('refuses a token that is not valid yet', async () => {
    const token = await mintSecretToken(TEST_JWT_SECRET, TEST_CREDENTIALS, {
      notBefore: now() + 120,
    });
    await expectAuthFailure(verifier.verify(token), AuthReason.NOT_YET_VALID);
  });

  it('tolerates 30 s of clock skew on nbf', async () => {
    const token = await mintSecretToken(TEST_JWT_SECRET, TEST_CREDENTIALS, {
      notBefore: now() + 10,
    });
    await expect(verifier.verify(token)).resolves.toMatchObject(TEST_CREDENTIALS);
  });

  it('refuses a non-numeric exp as a payload problem', async () => {
    const token = await mintSecretToken(
      TEST_JWT_SECRET,
      { ...TEST_CREDENTIALS, exp: 'tomorrow' } as never,
      {
        expiresAt: null,
      },
    );
    await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_PAYLOAD);
  });

  it.each([
    ['two parts', 'a.b'],
    ['four parts', 'a.b.c.d'],
    ['five parts (JWE)', 'a.b.c.d.e'],
    ['garbage header', `!!!.${b64url(TEST_CREDENTIALS)}.sig`],
    ['header not JSON', `${b64url('not json')}.${b64url(TEST_CREDENTIALS)}.sig`],
    ['payload not JSON', `${b64url({ alg: 'HS256' })}.${b64url('not json')}.sig`],
    ['payload a JSON array', `${b64url({ alg: 'HS256' })}.${b64url([1, 2])}.sig`],
    ['empty parts', '..'],
  ])('refuses a malformed token (%s) as a structure problem', async (_name, token) => {
    await expectAuthFailure(verifier.verify(token), AuthReason.WRONG_STRUCTURE);
  });
});
