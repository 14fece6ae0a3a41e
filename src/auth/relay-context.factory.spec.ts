import { describe, expect, it } from '@jest/globals';
import { expectAuthFailureSync } from '../../test/support/jwt-expect.js';
import { TEST_CREDENTIALS } from '../../test/support/jwt-factory.js';
import {
  TEST_API_URL,
  TEST_PLATFORM_URL,
  testRelayConfig,
} from '../../test/support/jwt-test-config.js';
import { AuthReason } from './auth-reasons.js';
import { buildRelayContext } from './relay-context.factory.js';

describe('buildRelayContext (spec §3, §5)', () => {
  const config = testRelayConfig({ entitiesLimit: 100 });

  it('uses the configured defaults when the token names no URL or limit', () => {
    expect(buildRelayContext({ ...TEST_CREDENTIALS }, config)).toEqual({
      credentials: { user: TEST_CREDENTIALS.user, pass: TEST_CREDENTIALS.pass },
      apiUrl: TEST_API_URL,
      platformUrl: TEST_PLATFORM_URL,
      entitiesLimit: 100,
    });
  });

  it('lets the token override both URLs (normalised) and the limit', () => {
    const payload = {
      ...TEST_CREDENTIALS,
      API_URL: 'https://Gateway.QG2.apps.qualys.eu/',
      PLATFORM_URL: 'https://qualysguard.qg2.apps.qualys.eu',
      CTR_ENTITIES_LIMIT: 5,
    };
    expect(buildRelayContext(payload, config)).toEqual({
      credentials: { user: TEST_CREDENTIALS.user, pass: TEST_CREDENTIALS.pass },
      apiUrl: 'https://gateway.qg2.apps.qualys.eu',
      platformUrl: 'https://qualysguard.qg2.apps.qualys.eu',
      entitiesLimit: 5,
    });
  });

  it('keeps the password exactly as sent (spaces and form characters included)', () => {
    const relayContext = buildRelayContext({ user: ' u ', pass: ' p&=+% ' }, config);
    expect(relayContext.credentials).toEqual({ user: ' u ', pass: ' p&=+% ' });
  });

  it.each<[string, Record<string, unknown>]>([
    ['no user', { pass: 'p' }],
    ['no pass', { user: 'u' }],
    ['empty user', { user: '', pass: 'p' }],
    ['blank pass', { user: 'u', pass: '   ' }],
    ['numeric user', { user: 42, pass: 'p' }],
    ['object pass', { user: 'u', pass: { a: 1 } }],
    ['null pass', { user: 'u', pass: null }],
    ['API_URL not a string', { ...TEST_CREDENTIALS, API_URL: 1 }],
    ['PLATFORM_URL not a string', { ...TEST_CREDENTIALS, PLATFORM_URL: ['https://a.qualys.com'] }],
  ])('refuses a payload with %s', (_name, payload) => {
    expectAuthFailureSync(() => buildRelayContext(payload, config), AuthReason.WRONG_PAYLOAD);
  });

  it('treats blank token URLs as absent', () => {
    const relayContext = buildRelayContext(
      { ...TEST_CREDENTIALS, API_URL: '', PLATFORM_URL: '  ' },
      config,
    );
    expect([relayContext.apiUrl, relayContext.platformUrl]).toEqual([
      TEST_API_URL,
      TEST_PLATFORM_URL,
    ]);
  });

  it.each<[string, unknown, number]>([
    ['a number', 7, 7],
    ['a digit string', '12', 12],
    ['zero', 0, 100],
    ['a negative number', -3, 100],
    ['a fraction', 2.5, 100],
    ['a non-numeric string', 'ten', 100],
    ['a signed string', '+5', 100],
    ['an exponent string', '1e2', 100],
    ['a padded string', ' 5', 100],
    ['null', null, 100],
    ['a boolean', true, 100],
    ['the maximum', 1000, 1000],
    ['above the maximum', 1001, 1000],
    ['the largest safe integer', Number.MAX_SAFE_INTEGER, 1000],
    ['an unsafe integer', 2 ** 60, 1000],
    ['a huge digit string', '9'.repeat(400), 1000],
    ['Infinity (JSON 1e400)', JSON.parse('1e400') as number, 1000],
    ['missing', undefined, 100],
  ])('CTR_ENTITIES_LIMIT as %s gives %i', (_name, limit, expected) => {
    const payload = {
      ...TEST_CREDENTIALS,
      ...(limit === undefined ? {} : { CTR_ENTITIES_LIMIT: limit }),
    };
    expect(buildRelayContext(payload, config).entitiesLimit).toBe(expected);
  });

  it('requires an API URL from somewhere', () => {
    const bare = testRelayConfig({ qualys: { apiUrl: undefined } });
    expectAuthFailureSync(
      () => buildRelayContext({ ...TEST_CREDENTIALS }, bare),
      'API_URL is not configured',
    );
  });

  it('requires a platform URL from somewhere', () => {
    const bare = testRelayConfig({ qualys: { platformUrl: undefined } });
    expectAuthFailureSync(
      () => buildRelayContext({ ...TEST_CREDENTIALS }, bare),
      'PLATFORM_URL is not configured',
    );
  });

  it('accepts token URLs when the configuration has no defaults', () => {
    const bare = testRelayConfig({ qualys: { apiUrl: undefined, platformUrl: undefined } });
    const payload = { ...TEST_CREDENTIALS, API_URL: TEST_API_URL, PLATFORM_URL: TEST_PLATFORM_URL };
    expect(buildRelayContext(payload, bare)).toMatchObject({
      apiUrl: TEST_API_URL,
      platformUrl: TEST_PLATFORM_URL,
    });
  });

  it.each<[string, string, string]>([
    ['API_URL', 'http://gateway.qg1.apps.qualys.com', 'API_URL in JWT payload must use https'],
    [
      'API_URL',
      'https://attacker.example.com',
      'API_URL in JWT payload names a host that is not on the allowed Qualys host list',
    ],
    [
      'API_URL',
      'https://169.254.169.254',
      'API_URL in JWT payload names a loopback, private or link-local address',
    ],
    [
      'API_URL',
      'https://u:hunter2@a.qualys.com',
      'API_URL in JWT payload must not contain user credentials',
    ],
    [
      'PLATFORM_URL',
      'https://a.qualys.com/?next=evil',
      'PLATFORM_URL in JWT payload must not contain a query string or fragment',
    ],
    ['PLATFORM_URL', 'not a url', 'PLATFORM_URL in JWT payload is not a valid absolute URL'],
  ])('refuses a token %s of %s', (setting, url, reason) => {
    expectAuthFailureSync(
      () => buildRelayContext({ ...TEST_CREDENTIALS, [setting]: url }, config),
      reason,
    );
  });

  it('allows the loopback simulator only when the operator allows insecure URLs', () => {
    const payload = { ...TEST_CREDENTIALS, API_URL: 'http://127.0.0.1:18080/' };
    expectAuthFailureSync(
      () => buildRelayContext(payload, config),
      'API_URL in JWT payload must use https',
    );
    const insecure = testRelayConfig({ qualys: { allowInsecure: true } });
    expect(buildRelayContext(payload, insecure).apiUrl).toBe('http://127.0.0.1:18080');
  });

  it('checks credentials before URLs', () => {
    expectAuthFailureSync(
      () => buildRelayContext({ user: 'u', API_URL: 'https://evil.example' }, config),
      AuthReason.WRONG_PAYLOAD,
    );
  });
});
