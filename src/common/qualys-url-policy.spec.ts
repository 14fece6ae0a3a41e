import { describe, expect, it } from '@jest/globals';
import { checkQualysUrl, QualysUrlProblem, type QualysUrlPolicy } from './qualys-url-policy.js';

const strict: QualysUrlPolicy = {
  hostAllowlist: ['*.qualys.com', '*.qualys.eu', 'qualys.example.net', 'private.qualys.test:8443'],
  allowInsecure: false,
};
const insecure: QualysUrlPolicy = { ...strict, allowInsecure: true };
const withPrivateEntry: QualysUrlPolicy = {
  hostAllowlist: ['10.1.2.3', 'qualys.internal', '*.qualys.com'],
  allowInsecure: true,
};

describe('checkQualysUrl', () => {
  describe.each<[string, string, QualysUrlPolicy, string]>([
    ['wildcard, one level', 'https://qualys.qualys.com', strict, 'https://qualys.qualys.com'],
    [
      'wildcard, any depth, trailing slash dropped',
      'https://gateway.qg1.apps.qualys.com/',
      strict,
      'https://gateway.qg1.apps.qualys.com',
    ],
    [
      'host lower-cased',
      'https://Gateway.QG2.apps.QUALYS.eu/',
      strict,
      'https://gateway.qg2.apps.qualys.eu',
    ],
    [
      'path kept, trailing slashes dropped',
      'https://a.qualys.com/api//',
      strict,
      'https://a.qualys.com/api',
    ],
    [
      'explicit default port dropped',
      'https://a.qualys.com:443/x',
      strict,
      'https://a.qualys.com/x',
    ],
    ['exact pattern', 'https://qualys.example.net', strict, 'https://qualys.example.net'],
    [
      'pattern with port',
      'https://private.qualys.test:8443/',
      strict,
      'https://private.qualys.test:8443',
    ],
    ['dot segments resolved', 'https://a.qualys.com/x/../y', strict, 'https://a.qualys.com/y'],
    ['http when insecure', 'http://a.qualys.com/', insecure, 'http://a.qualys.com'],
    [
      'loopback off-list when insecure',
      'http://127.0.0.1:18080/',
      insecure,
      'http://127.0.0.1:18080',
    ],
    ['localhost when insecure', 'https://localhost:9443', insecure, 'https://localhost:9443'],
    ['IPv6 loopback when insecure', 'http://[::1]:8080/', insecure, 'http://[::1]:8080'],
    [
      'private IP on the list when insecure',
      'http://10.1.2.3/',
      withPrivateEntry,
      'http://10.1.2.3',
    ],
  ])('accepts %s', (_name, raw, policy, expected) => {
    it(raw, () => {
      expect(checkQualysUrl(raw, policy)).toEqual({ ok: true, url: expected });
    });
  });

  describe.each<[string, string, QualysUrlPolicy, string]>([
    ['not a URL', 'not a url', strict, QualysUrlProblem.INVALID],
    ['relative URL', '/ioc/events', strict, QualysUrlProblem.INVALID],
    ['empty', '', strict, QualysUrlProblem.INVALID],
    ['http', 'http://a.qualys.com', strict, QualysUrlProblem.HTTPS_ONLY],
    ['ftp', 'ftp://a.qualys.com', strict, QualysUrlProblem.HTTPS_ONLY],
    ['file', 'file:///etc/passwd', strict, QualysUrlProblem.HTTPS_ONLY],
    ['javascript', 'javascript:alert(1)', strict, QualysUrlProblem.HTTPS_ONLY],
    ['ftp when insecure', 'ftp://a.qualys.com', insecure, QualysUrlProblem.HTTP_OR_HTTPS],
    ['userinfo', 'https://user:pw@a.qualys.com', strict, QualysUrlProblem.CREDENTIALS],
    ['username only', 'https://user@a.qualys.com', strict, QualysUrlProblem.CREDENTIALS],
    ['query', 'https://a.qualys.com/?x=1', strict, QualysUrlProblem.QUERY_OR_FRAGMENT],
    ['empty query', 'https://a.qualys.com/?', strict, QualysUrlProblem.QUERY_OR_FRAGMENT],
    ['fragment', 'https://a.qualys.com/#x', strict, QualysUrlProblem.QUERY_OR_FRAGMENT],
    ['suffix trick', 'https://qualys.com.evil.net', strict, QualysUrlProblem.HOST_NOT_ALLOWED],
    ['no-dot suffix', 'https://evilqualys.com', strict, QualysUrlProblem.HOST_NOT_ALLOWED],
    ['wildcard apex', 'https://qualys.com', strict, QualysUrlProblem.HOST_NOT_ALLOWED],
    ['trailing dot', 'https://a.qualys.com./', strict, QualysUrlProblem.HOST_NOT_ALLOWED],
    ['other host', 'https://evil.example.com', strict, QualysUrlProblem.HOST_NOT_ALLOWED],
    [
      'exact pattern subdomain',
      'https://x.qualys.example.net',
      strict,
      QualysUrlProblem.HOST_NOT_ALLOWED,
    ],
    [
      'backslash authority trick',
      'https://evil.com\\@a.qualys.com',
      strict,
      QualysUrlProblem.HOST_NOT_ALLOWED,
    ],
    [
      'non-default port on port-less pattern',
      'https://a.qualys.com:8443',
      strict,
      QualysUrlProblem.HOST_NOT_ALLOWED,
    ],
    [
      'wrong port on port pattern',
      'https://private.qualys.test:9443',
      strict,
      QualysUrlProblem.HOST_NOT_ALLOWED,
    ],
    [
      'default port on port pattern',
      'https://private.qualys.test',
      strict,
      QualysUrlProblem.HOST_NOT_ALLOWED,
    ],
    ['localhost', 'https://localhost', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['*.localhost', 'https://a.localhost', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['127.0.0.1', 'https://127.0.0.1', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['127.8.9.10', 'https://127.8.9.10', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['decimal loopback', 'https://2130706433/', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['hex loopback', 'https://0x7f.1/', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['::1', 'https://[::1]/', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    [
      'IPv4-mapped loopback',
      'https://[::ffff:127.0.0.1]/',
      strict,
      QualysUrlProblem.PRIVATE_ADDRESS,
    ],
    ['0.0.0.0', 'https://0.0.0.0/', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['10/8', 'https://10.0.0.5', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['172.16/12', 'https://172.31.255.1', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['192.168/16', 'https://192.168.1.1', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    [
      '169.254/16 (cloud metadata)',
      'https://169.254.169.254/latest',
      strict,
      QualysUrlProblem.PRIVATE_ADDRESS,
    ],
    ['fc00::/7', 'https://[fd12:3456::1]/', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['fe80::/10', 'https://[fe80::1]/', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    ['IPv4-mapped private', 'https://[::ffff:10.0.0.1]/', strict, QualysUrlProblem.PRIVATE_ADDRESS],
    [
      'private IP on the list but not insecure',
      'https://10.1.2.3/',
      { ...withPrivateEntry, allowInsecure: false },
      QualysUrlProblem.PRIVATE_ADDRESS,
    ],
    [
      'private IP off the list when insecure',
      'http://192.168.1.1/',
      insecure,
      QualysUrlProblem.HOST_NOT_ALLOWED,
    ],
    ['public IP off the list', 'https://8.8.8.8/', insecure, QualysUrlProblem.HOST_NOT_ALLOWED],
    [
      '172.32 is public, still off the list',
      'https://172.32.0.1/',
      strict,
      QualysUrlProblem.HOST_NOT_ALLOWED,
    ],
  ])('refuses %s', (_name, raw, policy, reason) => {
    it(raw, () => {
      expect(checkQualysUrl(raw, policy)).toEqual({ ok: false, reason });
    });
  });

  it('matches allow-list patterns case-insensitively', () => {
    expect(
      checkQualysUrl('https://a.qualys.com', {
        hostAllowlist: ['*.QUALYS.com'],
        allowInsecure: false,
      }),
    ).toEqual({
      ok: true,
      url: 'https://a.qualys.com',
    });
  });

  it('refuses everything with an empty allow-list unless insecure loopback', () => {
    const empty = { hostAllowlist: [], allowInsecure: false };
    expect(checkQualysUrl('https://a.qualys.com', empty)).toEqual({
      ok: false,
      reason: QualysUrlProblem.HOST_NOT_ALLOWED,
    });
    expect(checkQualysUrl('http://127.0.0.1:1', { ...empty, allowInsecure: true })).toEqual({
      ok: true,
      url: 'http://127.0.0.1:1',
    });
  });

  it('never echoes the URL (it may carry credentials) in a reason', () => {
    const result = checkQualysUrl('https://admin:hunter2@evil.example.com', strict);
    expect(result).toEqual({ ok: false, reason: QualysUrlProblem.CREDENTIALS });
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });
});
