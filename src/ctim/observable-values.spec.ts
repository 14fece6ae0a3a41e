import { describe, expect, it } from '@jest/globals';
import { isValidObservableValue, type EmittedObservableType } from './observable-values.js';

type Row = [value: string, valid: boolean];

const RULES: Record<EmittedObservableType, Row[]> = {
  ip: [
    ['192.0.2.10', true],
    ['10.0.0.255', true],
    ['2001:db8::1', true],
    ['::ffff:192.0.2.1', true],
    ['::', true],
    ['fe80::1%eth0', false],
    ['fe80::1%25eth0', false],
    ['[2001:db8::1]', false],
    ['192.0.2.256', false],
    ['01.2.3.4', false],
    ['192.0.2.1 ', false],
    ['not-an-ip', false],
    ['javascript:alert(1)', false],
    [`${'1:'.repeat(30)}1`, false],
  ],
  mac_address: [
    ['00:15:5d:0a:21:9f', true],
    ['00-15-5D-0A-21-9F', true],
    ['00:15-5d:0a:21:9f', false],
    ['00:15:5d:0a:21', false],
    ['00:15:5d:0a:21:9f:00', false],
    ['0015.5d0a.219f', false],
    ['00:15:5d:0a:21:9g', false],
    ['\u202e', false],
  ],
  hostname: [
    ['FIN-LT-0042', true],
    ['web01.dmz.example.com', true],
    ['serveur-été', true],
    ['h'.repeat(253), true],
    ['😀'.repeat(253), true],
    ['', false],
    ['h'.repeat(254), false],
    ['😀'.repeat(254), false],
    ['<b>host</b>', false],
    ['host name', false],
    ['host\tname', false],
    ['host\u00a0name', false],
    ['host\u0000', false],
    ['host\u007f', false],
    ['host\u0085', false],
    ['\u202ehost', false],
    ['host\u200e', false],
    ['host\u2066x', false],
    ['host\u061c', false],
    ['a\\b', false],
    ['a/b', false],
    ['a:b', false],
    ['a*b', false],
    ['a?b', false],
    ['a"b', false],
    ['a|b', false],
  ],
  sha256: [
    ['a'.repeat(64), true],
    ['ABCDEF0123456789'.repeat(4), true],
    ['a'.repeat(63), false],
    ['a'.repeat(65), false],
    [`${'a'.repeat(63)}g`, false],
    ['d41d8cd98f00b204e9800998ecf8427e', false],
  ],
  md5: [
    ['d41d8cd98f00b204e9800998ecf8427e', true],
    ['D41D8CD98F00B204E9800998ECF8427E', true],
    ['d41d8cd98f00b204e9800998ecf8427', false],
    ['d41d8cd98f00b204e9800998ecf8427z', false],
    ['a'.repeat(64), false],
  ],
  domain: [
    ['example.com', true],
    ['a-b.example-1.org', true],
    ['localhost', true],
    ['bücher.example', true],
    ['пример.рф', true],
    ['xn--bcher-kva.example', true],
    [`${'a'.repeat(63)}.com`, true],
    [`${'a'.repeat(64)}.com`, false],
    [`${'a.'.repeat(126)}ab`, false],
    ['', false],
    ['example..com', false],
    ['example.com.', false],
    ['.example.com', false],
    ['exa mple.com', false],
    ['exa_mple.com', false],
    ['<b>x</b>.com', false],
    ['javascript:alert(1)', false],
  ],
  file_name: [
    ['report.pdf', true],
    ['<script>.exe', true],
    ['f'.repeat(1024), true],
    ['f'.repeat(1025), false],
    ['', false],
  ],
  file_path: [
    ['C:\\Users\\alice\\report.pdf', true],
    ['/usr/bin/env', true],
    ['p'.repeat(1024), true],
    ['p'.repeat(1025), false],
    ['', false],
  ],
};

describe('isValidObservableValue (spec §15)', () => {
  describe.each(Object.entries(RULES) as [EmittedObservableType, Row[]][])('%s', (type, rows) => {
    it.each(rows)('%j is valid: %s', (value, valid) => {
      expect(isValidObservableValue(type, value)).toBe(valid);
    });
  });

  it('checks long hostile values quickly (bounded by length first)', () => {
    const started = performance.now();
    const long = `${'a-'.repeat(50_000)}\u202e`;
    for (const type of Object.keys(RULES) as EmittedObservableType[]) {
      expect(isValidObservableValue(type, long)).toBe(false);
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
