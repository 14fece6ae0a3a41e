import { describe, expect, it } from '@jest/globals';
import { jwtVerify } from 'jose';
import { JwtCliError, parseJwtArgs } from './jwt-args.js';
import { mintRelayToken } from './relay-token.js';

const SECRET = 'cli-secret-0123456789abcdefghijklmnop';
const env = { JWT_SECRET: SECRET };

describe('parseJwtArgs', () => {
  it('reads every option', () => {
    expect(
      parseJwtArgs(
        [
          '--user',
          'api-user',
          '--pass',
          'p&ss=w+rd%',
          '--api-url',
          'https://gateway.qg2.apps.qualys.com',
          '--platform-url',
          'https://qualysguard.qg2.apps.qualys.com',
          '--limit',
          '25',
          '--expires-in',
          '30d',
        ],
        env,
      ),
    ).toEqual({
      secret: SECRET,
      claims: {
        user: 'api-user',
        pass: 'p&ss=w+rd%',
        API_URL: 'https://gateway.qg2.apps.qualys.com',
        PLATFORM_URL: 'https://qualysguard.qg2.apps.qualys.com',
        CTR_ENTITIES_LIMIT: 25,
      },
      expiresIn: '30d',
    });
  });

  it('needs only user and pass', () => {
    expect(parseJwtArgs(['--user', 'u', '--pass', 'p'], env)).toEqual({
      secret: SECRET,
      claims: { user: 'u', pass: 'p' },
    });
  });

  it.each<[string, string[], Record<string, string | undefined>, string]>([
    [
      'no secret',
      ['--user', 'u', '--pass', 'p'],
      {},
      'JWT_SECRET must be set (at least 32 characters).',
    ],
    [
      'a short secret',
      ['--user', 'u', '--pass', 'p'],
      { JWT_SECRET: 'short' },
      'JWT_SECRET must be set (at least 32 characters).',
    ],
    ['no pass', ['--user', 'u'], env, '--user and --pass are required.'],
    [
      'a bad limit',
      ['--user', 'u', '--pass', 'p', '--limit', '0'],
      env,
      '--limit must be a positive integer.',
    ],
    [
      'a bad expiry',
      ['--user', 'u', '--pass', 'p', '--expires-in', 'soon'],
      env,
      '--expires-in must be a time span such as 30d or 12h.',
    ],
    [
      'an unknown option',
      ['--user', 'u', '--pass', 'p', '--secret', 'x'],
      env,
      "Unknown option '--secret'",
    ],
  ])('refuses %s', (_name, argv, environment, message) => {
    expect(() => parseJwtArgs(argv, environment)).toThrow(new JwtCliError(message));
  });
});

describe('mintRelayToken', () => {
  it('signs an HS256 token the relay verifies, with the claims and expiry', async () => {
    const token = await mintRelayToken(
      SECRET,
      { user: 'u', pass: 'p', CTR_ENTITIES_LIMIT: 5 },
      '1h',
    );
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({
      user: 'u',
      pass: 'p',
      CTR_ENTITIES_LIMIT: 5,
      iat: expect.any(Number),
      exp: (payload.iat as number) + 3600,
    });
  });
});
