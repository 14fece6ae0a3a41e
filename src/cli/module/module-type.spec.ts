import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import {
  buildModuleType,
  checkModuleTypeOptions,
  jwksHostWarning,
  serializeModuleType,
} from './module-type.js';

const EXAMPLE = new URL('../../../module_type.example.json', import.meta.url);
const options = { url: 'https://relay.example.com', jwksHost: 'visibility.amp.cisco.com' };

describe('module_type.example.json', () => {
  it('is what the generator produces for --url https://relay.example.com (else: npm run -s module -- type print --url https://relay.example.com > module_type.example.json)', () => {
    expect(readFileSync(EXAMPLE, 'utf8')).toBe(serializeModuleType(buildModuleType(options)));
  });
});

describe('buildModuleType', () => {
  it('takes the supported APIs from the route table and the URL, audience and JWKS host from the options', () => {
    const moduleType = buildModuleType({
      url: 'https://qualys.relay.corp',
      jwksHost: 'visibility.eu.amp.cisco.com',
    });
    expect(moduleType.properties).toEqual({
      'supported-apis': [
        'health',
        'observe/observables',
        'refer/observables',
        'deliberate/observables',
        'respond/observables',
        'respond/trigger',
      ],
      'auth-type': 'configuration-token',
      'configuration-token-alg': 'RS256',
      'configuration-token-audience': 'https://qualys.relay.corp',
      custom_jwks_host: 'visibility.eu.amp.cisco.com',
      url: 'https://qualys.relay.corp',
    });
  });

  it('asks for the token claims the relay reads (custom_ prefix) and advertises health, observe, refer', () => {
    const moduleType = buildModuleType(options);
    expect(
      moduleType.configuration_spec.map(({ key, type, required }) => [key, type, required]),
    ).toEqual([
      ['custom_user', 'string', true],
      ['custom_pass', 'password', true],
      ['custom_API_URL', 'string', true],
      ['custom_PLATFORM_URL', 'string', true],
      ['custom_CTR_ENTITIES_LIMIT', 'integer', false],
    ]);
    expect(moduleType.capabilities.map(({ id }) => id)).toEqual([
      'health',
      'observe',
      'refer',
      'deliberate',
    ]);
    expect(moduleType.logo).toMatch(/^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/);
  });
});

describe('checkModuleTypeOptions', () => {
  it('normalises the JWKS host and drops a trailing slash of the URL', () => {
    expect(
      checkModuleTypeOptions('https://relay.example.com/', ' Visibility.EU.amp.cisco.com '),
    ).toEqual({
      url: 'https://relay.example.com',
      jwksHost: 'visibility.eu.amp.cisco.com',
    });
  });

  it.each<[string | undefined, string, string]>([
    [undefined, 'visibility.amp.cisco.com', "--url (the relay's public URL) is required."],
    [
      'http://relay.example.com',
      'visibility.amp.cisco.com',
      '--url must use https (plain http only for a loopback address).',
    ],
    [
      'https://relay.example.com',
      'https://visibility.amp.cisco.com',
      '--jwks-host must be a host name.',
    ],
  ])('refuses --url %s --jwks-host %s', (url, host, message) => {
    expect(() => checkModuleTypeOptions(url, host)).toThrow(message);
  });
});

describe('jwksHostWarning', () => {
  it('is silent for a host on the default allow-list or on JWKS_HOST_ALLOWLIST', () => {
    expect(jwksHostWarning('visibility.apjc.amp.cisco.com', {})).toBeUndefined();
    expect(
      jwksHostWarning('keys.corp:8443', { JWKS_HOST_ALLOWLIST: 'a.corp, keys.corp:8443' }),
    ).toBeUndefined();
  });

  it('warns, naming the allow-list, when the relay would refuse the host', () => {
    expect(jwksHostWarning('keys.corp', { JWKS_HOST_ALLOWLIST: 'a.corp' })).toBe(
      "Warning: keys.corp is not on the relay's JWKS_HOST_ALLOWLIST (a.corp); add it there, or the relay will refuse XDR's tokens.",
    );
  });
});
