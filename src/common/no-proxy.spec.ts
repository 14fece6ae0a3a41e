import { describe, expect, it } from '@jest/globals';
import { isValidNoProxyEntry, NoProxy } from './no-proxy.js';

describe('NO_PROXY with curl rules plus CIDR (spec §11)', () => {
  it.each<[string, string, number, boolean]>([
    // a name matches itself and its subdomains, with or without a leading dot
    ['example.com', 'example.com', 443, true],
    ['example.com', 'a.example.com', 443, true],
    ['example.com', 'a.b.example.com', 443, true],
    ['.example.com', 'a.example.com', 443, true],
    ['.example.com', 'example.com', 443, true],
    ['*.example.com', 'a.example.com', 443, true],
    ['example.com', 'notexample.com', 443, false],
    ['example.com', 'example.com.evil.net', 443, false],
    ['Example.COM', 'a.example.com', 443, true],
    ['example.com', 'A.EXAMPLE.com.', 443, true],
    // host:port matches that port only
    ['gateway.qualys.com:8443', 'gateway.qualys.com', 8443, true],
    ['gateway.qualys.com:8443', 'gateway.qualys.com', 443, false],
    // IP literals match themselves
    ['10.1.2.3', '10.1.2.3', 443, true],
    ['10.1.2.3', '10.1.2.4', 443, false],
    ['::1', '[::1]', 443, true],
    ['[::1]:8443', '[::1]', 8443, true],
    ['[::1]:8443', '[::1]', 443, false],
    // CIDR ranges, an extension beyond curl
    ['10.0.0.0/8', '10.200.3.4', 443, true],
    ['10.0.0.0/8', '11.0.0.1', 443, false],
    ['fd00::/8', '[fd12::5]', 443, true],
    ['10.0.0.0/8', 'ten.example.com', 443, false],
    // * matches everything
    ['*', 'anything.example', 80, true],
    ['internal.local, *', 'qualys.com', 443, true],
    // several entries, spaces tolerated
    ['internal.local , qualys.eu', 'gateway.qg1.apps.qualys.eu', 443, true],
    ['', 'example.com', 443, false],
  ])('NO_PROXY=%j, host %s:%d → bypass %s', (value, host, port, bypass) => {
    expect(new NoProxy(value).matches(host, port)).toBe(bypass);
  });

  it('keeps the entries as written, lower-cased, for the start-up log', () => {
    expect(new NoProxy(' A.example.com,10.0.0.0/8 ,, *').entries).toEqual([
      'a.example.com',
      '10.0.0.0/8',
      '*',
    ]);
  });

  it('tells valid entries from invalid ones', () => {
    expect(
      [
        '*',
        'example.com',
        '.example.com',
        'host:8080',
        '10.0.0.0/8',
        '::1',
        '[::1]:443',
        'fd00::/8',
      ].map(isValidNoProxyEntry),
    ).toEqual([true, true, true, true, true, true, true, true]);
    expect(
      ['10.0.0.0/33', 'http://example.com', 'host:99999', 'bad host', '10.0.0.0/x'].map(
        isValidNoProxyEntry,
      ),
    ).toEqual([false, false, false, false, false]);
  });
});
