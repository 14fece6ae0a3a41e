import { describe, expect, it } from '@jest/globals';
import { checkServiceUrl, isLoopbackHostname, resolveApiBaseUrl, TR_REGIONS } from './api-url.js';

describe('resolveApiBaseUrl (spec §10 precedence)', () => {
  it('defaults to the us region', () => {
    expect(resolveApiBaseUrl(undefined, {})).toBe('https://visibility.amp.cisco.com');
  });

  it('takes TR_API_REGION, then --region over it, then TR_API_URL over both', () => {
    expect(resolveApiBaseUrl(undefined, { TR_API_REGION: 'eu' })).toBe(TR_REGIONS.eu);
    expect(resolveApiBaseUrl('apjc', { TR_API_REGION: 'eu' })).toBe(
      'https://visibility.apjc.amp.cisco.com',
    );
    expect(
      resolveApiBaseUrl('apjc', { TR_API_REGION: 'eu', TR_API_URL: 'http://127.0.0.1:8082/' }),
    ).toBe('http://127.0.0.1:8082');
  });

  it('accepts a region in any case', () => {
    expect(resolveApiBaseUrl('EU', {})).toBe('https://visibility.eu.amp.cisco.com');
  });

  it.each<[string | undefined, Record<string, string>, string]>([
    ['mars', {}, '--region must be one of us, eu, apjc.'],
    [undefined, { TR_API_REGION: 'toString' }, 'TR_API_REGION must be one of us, eu, apjc.'],
    [
      undefined,
      { TR_API_URL: 'http://tr.example.com' },
      'TR_API_URL must use https (plain http only for a loopback address).',
    ],
    [undefined, { TR_API_URL: 'visibility.amp.cisco.com' }, 'TR_API_URL must be an absolute URL.'],
  ])('refuses %s / %j', (region, env, message) => {
    expect(() => resolveApiBaseUrl(region, env)).toThrow(message);
  });
});

describe('checkServiceUrl', () => {
  it.each([
    ['https://visibility.amp.cisco.com', 'https://visibility.amp.cisco.com'],
    ['https://relay.example.com/qualys/', 'https://relay.example.com/qualys'],
    ['http://127.0.0.1:9090', 'http://127.0.0.1:9090'],
    ['http://localhost:9090/', 'http://localhost:9090'],
    ['http://[::1]:9090', 'http://[::1]:9090'],
  ])('accepts %s', (url, expected) => {
    expect(checkServiceUrl(url, 'URL')).toBe(expected);
  });

  it.each([
    ['http://10.0.0.1', 'URL must use https (plain http only for a loopback address).'],
    ['http://127.example.com', 'URL must use https (plain http only for a loopback address).'],
    ['ftp://relay.example.com', 'URL must use https (plain http only for a loopback address).'],
    ['https://user:secret@relay.example.com', 'URL must not carry credentials.'],
    ['https://relay.example.com/?a=1', 'URL must not carry a query or a fragment.'],
    ['https://relay.example.com/#x', 'URL must not carry a query or a fragment.'],
    ['not a url', 'URL must be an absolute URL.'],
  ])('refuses %s', (url, message) => {
    expect(() => checkServiceUrl(url, 'URL')).toThrow(message);
  });
});

describe('isLoopbackHostname', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['::1', true],
    ['128.0.0.1', false],
    ['127.0.0.1.nip.io', false],
    ['[::]', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHostname(host)).toBe(expected);
  });
});
