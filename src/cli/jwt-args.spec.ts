import { describe, expect, it } from '@jest/globals';
import { jwtVerify } from 'jose';
import {
  JWT_CLI_HELP,
  JwtCliError,
  NEVER_EXPIRES_WARNING,
  parseJwtArgs,
  PASSWORD_ARGUMENT_REFUSED,
} from './jwt-args.js';
import { mintRelayToken } from './relay-token.js';

const SECRET = 'cli-secret-0123456789abcdefghijklmnop';
const env = { JWT_SECRET: SECRET };

describe('parseJwtArgs', () => {
  it('reads every option, and the password from QUALYS_PASSWORD', () => {
    expect(
      parseJwtArgs(
        [
          '--user',
          'api-user',
          '--api-url',
          'https://gateway.qg2.apps.qualys.com',
          '--platform-url',
          'https://qualysguard.qg2.apps.qualys.com',
          '--limit',
          '25',
          '--expires-in',
          '30d',
        ],
        { ...env, QUALYS_PASSWORD: 'p&ss=w+rd%' },
      ),
    ).toEqual({
      kind: 'mint',
      secret: SECRET,
      claims: {
        user: 'api-user',
        API_URL: 'https://gateway.qg2.apps.qualys.com',
        PLATFORM_URL: 'https://qualysguard.qg2.apps.qualys.com',
        CTR_ENTITIES_LIMIT: 25,
      },
      password: 'p&ss=w+rd%',
      expiresIn: '30d',
      warnings: [],
    });
  });

  it('needs only the user; no QUALYS_PASSWORD means the password is asked for', () => {
    expect(parseJwtArgs(['--user', 'u', '--expires-in', '12h'], env)).toEqual({
      kind: 'mint',
      secret: SECRET,
      claims: { user: 'u' },
      expiresIn: '12h',
      warnings: [],
    });
    // An empty variable is as good as none: ask rather than mint a token with no password.
    expect(
      parseJwtArgs(['--user', 'u', '--expires-in', '12h'], { ...env, QUALYS_PASSWORD: '' }),
    ).toEqual({
      kind: 'mint',
      secret: SECRET,
      claims: { user: 'u' },
      expiresIn: '12h',
      warnings: [],
    });
  });

  it.each([['--help'], ['-h'], ['--user', 'u', '--help']])(
    'answers %s with the help, needing no secret',
    (...argv) => {
      expect(parseJwtArgs(argv, {})).toEqual({ kind: 'help', text: JWT_CLI_HELP });
      expect(JWT_CLI_HELP).toMatch(/^usage: JWT_SECRET=… \[QUALYS_PASSWORD=…\] npm run -s jwt -- /);
    },
  );

  const urlClaims = (argv: string[], environment: Record<string, string>) => {
    const command = parseJwtArgs(['--user', 'u', '--expires-in', '1h', ...argv], {
      ...env,
      ...environment,
    });
    return command.kind === 'mint' ? command.claims : command;
  };

  it('normalises accepted URLs as the relay does (no trailing slash)', () => {
    expect(
      urlClaims(
        [
          '--api-url',
          'https://gateway.qg1.apps.qualys.eu/',
          '--platform-url',
          'https://qualysguard.qg1.apps.qualys.eu',
        ],
        {},
      ),
    ).toEqual({
      user: 'u',
      API_URL: 'https://gateway.qg1.apps.qualys.eu',
      PLATFORM_URL: 'https://qualysguard.qg1.apps.qualys.eu',
    });
  });

  const INSECURE_HINT =
    'http:// and loopback or private addresses are accepted only where the relay runs with ' +
    'QUALYS_ALLOW_INSECURE=true (the demo and tests); set it here too for such a relay.';
  const DEFAULT_LIST =
    '*.qualys.com, *.qualys.eu, *.qualys.in, *.qualys.ca, *.qualys.ae, *.qualys.co.uk, *.qualys.com.au, *.qualysksa.com';

  it.each<[string, string[], Record<string, string>, string]>([
    [
      'an http:// URL',
      ['--api-url', 'http://gateway.qg2.apps.qualys.com'],
      {},
      `--api-url must use https: the relay would refuse every request with this token; ${INSECURE_HINT}`,
    ],
    [
      'a loopback URL',
      ['--platform-url', 'https://127.0.0.1:8443'],
      {},
      `--platform-url names a loopback, private or link-local address: the relay would refuse every request with this token; ${INSECURE_HINT}`,
    ],
    [
      'a host off the default allow-list',
      ['--api-url', 'https://qualys.attacker.example'],
      {},
      `--api-url names a host that is not on the allowed Qualys host list: the relay would refuse every request with this token; the relay accepts hosts matching QUALYS_HOST_ALLOWLIST (${DEFAULT_LIST}); if the relay's list differs, set QUALYS_HOST_ALLOWLIST here to the same value.`,
    ],
    [
      'a host off QUALYS_HOST_ALLOWLIST',
      ['--api-url', 'https://gateway.qg2.apps.qualys.com'],
      { QUALYS_HOST_ALLOWLIST: 'qualys.corp.example, *.qualys.eu' },
      "--api-url names a host that is not on the allowed Qualys host list: the relay would refuse every request with this token; the relay accepts hosts matching QUALYS_HOST_ALLOWLIST (qualys.corp.example, *.qualys.eu); if the relay's list differs, set QUALYS_HOST_ALLOWLIST here to the same value.",
    ],
    [
      'a URL with credentials',
      ['--api-url', 'https://me:secret@gateway.qg2.apps.qualys.com'],
      {},
      '--api-url must not contain user credentials: the relay would refuse every request with this token; give the base URL of the Qualys platform, e.g. https://gateway.qg2.apps.qualys.com.',
    ],
    [
      'a bad QUALYS_ALLOW_INSECURE',
      ['--api-url', 'https://gateway.qg2.apps.qualys.com'],
      { QUALYS_ALLOW_INSECURE: 'yes' },
      'QUALYS_ALLOW_INSECURE must be true or false.',
    ],
  ])('refuses %s, saying why', (_name, argv, environment, message) => {
    expect(() => urlClaims(argv, environment)).toThrow(new JwtCliError(message));
  });

  it('accepts what the relay accepts: a listed private-cloud host, loopback http with QUALYS_ALLOW_INSECURE', () => {
    expect(
      urlClaims(['--api-url', 'https://qualys.corp.example'], {
        QUALYS_HOST_ALLOWLIST: 'qualys.corp.example',
      }),
    ).toEqual({ user: 'u', API_URL: 'https://qualys.corp.example' });
    expect(
      urlClaims(['--api-url', 'http://127.0.0.1:8081'], { QUALYS_ALLOW_INSECURE: 'true' }),
    ).toEqual({ user: 'u', API_URL: 'http://127.0.0.1:8081' });
  });

  it('warns that a token without --expires-in never expires', () => {
    expect(parseJwtArgs(['--user', 'u'], env)).toMatchObject({ warnings: [NEVER_EXPIRES_WARNING] });
    expect(NEVER_EXPIRES_WARNING).toBe(
      'Warning: without --expires-in this token never expires: anyone who ever copies it can use ' +
        'these Qualys credentials through the relay until JWT_SECRET changes. Pass --expires-in ' +
        '(e.g. 365d) to bound its life.',
    );
  });

  it.each([['--pass', 'p'], ['--pass=p'], ['--password', 'p'], ['--password=p']])(
    'refuses the password as an argument (%s), saying why',
    (...passArgs) => {
      expect(() => parseJwtArgs(['--user', 'u', ...passArgs], env)).toThrow(
        new JwtCliError(PASSWORD_ARGUMENT_REFUSED),
      );
      expect(PASSWORD_ARGUMENT_REFUSED).toBe(
        '--pass is not accepted: a password on the command line is visible to every user of the ' +
          'machine in `ps` and stays in your shell history. Set QUALYS_PASSWORD, or leave it unset ' +
          'to be asked for the password (hidden) on the terminal.',
      );
    },
  );

  it.each<[string, string[], Record<string, string | undefined>, string]>([
    ['no secret', ['--user', 'u'], {}, 'JWT_SECRET must be set (at least 32 characters).'],
    [
      'a short secret',
      ['--user', 'u'],
      { JWT_SECRET: 'short' },
      'JWT_SECRET must be set (at least 32 characters).',
    ],
    ['no user', ['--limit', '5'], env, '--user is required.'],
    ['a bad limit', ['--user', 'u', '--limit', '0'], env, '--limit must be a positive integer.'],
    [
      'a bad expiry',
      ['--user', 'u', '--expires-in', 'soon'],
      env,
      '--expires-in must be a time span such as 30d or 12h.',
    ],
    ['an unknown option', ['--user', 'u', '--secret', 'x'], env, "Unknown option '--secret'"],
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
