import { describe, expect, it } from '@jest/globals';
import type { QualysEvent } from '../qualys-event.js';
import { attribute, carriedValuesOf, matches, type ExactValue } from './attribution.js';

const SHA = '52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786';
const OTHER_SHA = 'acd6beff7c3430bfed5d69f86c5c9e6a32ad2a27a2c2a1e8763ce08f6c3da5ec';
const MD5 = 'e5f96ae00443877315fbb64fd3d90005';

const sha: ExactValue = { type: 'sha256', value: SHA, normalised: SHA };
const otherSha: ExactValue = { type: 'sha256', value: OTHER_SHA, normalised: OTHER_SHA };
const md5: ExactValue = { type: 'md5', value: MD5, normalised: MD5 };
const ip: ExactValue = { type: 'ip', value: '10.0.0.1', normalised: '10.0.0.1' };
const ipv6: ExactValue = { type: 'ip', value: '2001:db8::1', normalised: '2001:db8::1' };

describe('attribution (spec §12)', () => {
  it('matches through the field the filter searches, value for value', () => {
    expect(matches({ file: { sha256: SHA } }, sha)).toBe(true);
    expect(matches({ file: { md5: MD5 } }, md5)).toBe(true);
    expect(matches({ network: { localIP: '10.0.0.1' } }, ip)).toBe(true);
    expect(matches({ network: { remoteIP: '10.0.0.1' } }, ip)).toBe(true);
    expect(matches({ file: { sha256: SHA.toUpperCase() } }, sha)).toBe(false);
    expect(matches({ network: { remoteIP: '2001:DB8::1' } }, ipv6)).toBe(false);
    expect(matches({ indicator2: [{ sha256: SHA }] }, sha)).toBe(false);
    expect(matches({ file: null, network: null }, sha)).toBe(false);
  });

  it('lists the events of each observable in answer order, md5 and sha256 of one file both', () => {
    const file = { sha256: SHA, md5: MD5 };
    const events: QualysEvent[] = [
      { id: 1, file },
      { id: 2, file: { sha256: OTHER_SHA } },
      { id: 3, file },
    ];
    expect(attribute(events, [sha, otherSha, md5])).toEqual({
      matched: [[0, 2], [1], [0, 2]],
      carried: [false, false, false],
      unmatched: 0,
      unmatchedType: undefined,
    });
  });

  it('marks an observable whose value an unmatching event carries in another field or form', () => {
    const events: QualysEvent[] = [
      // Matches `sha`, carries `otherSha` in its verdicts: otherSha is not settled by this.
      { file: { sha256: SHA }, indicator2: [{ sha256: OTHER_SHA.toUpperCase() }] },
      // Matches `ip` (local), carries the IPv6 in another form.
      { network: { localIP: '10.0.0.1', remoteIP: '2001:0DB8:0:0:0:0:0:1' } },
    ];
    expect(attribute(events, [sha, otherSha, ip, ipv6])).toEqual({
      matched: [[0], [], [1], []],
      carried: [false, true, false, true],
      unmatched: 0,
      unmatchedType: undefined,
    });
  });

  it('lets a matching event carry its own value elsewhere', () => {
    const events: QualysEvent[] = [{ file: { sha256: SHA }, indicator2: [{ sha256: SHA }] }];
    expect(attribute(events, [sha]).carried).toEqual([false]);
  });

  it('counts unmatched events and names the first one by its type only', () => {
    const events: QualysEvent[] = [
      { type: 'FILE', file: { sha256: SHA } },
      { type: 'NETWORK', indicator2: [{ sha256: SHA }] },
      { type: `${SHA} <script>` },
    ];
    // Unmatched events send every observable alone: what they carry is not read.
    expect(attribute(events, [sha])).toEqual({
      matched: [[0]],
      carried: [false],
      unmatched: 2,
      unmatchedType: 'NETWORK',
    });
    expect(attribute([{ type: 'not a word!' }], [sha]).unmatchedType).toBeUndefined();
  });

  it('finds hashes and addresses inside longer strings, ports and mapped forms included', () => {
    const values = carriedValuesOf({
      file: { fullPath: `C:\\Temp\\${SHA.toUpperCase()}.exe` },
      process: { arguments: `--md5=${MD5} --to 10.0.0.1:443 [2001:DB8::1]:8443 ::ffff:10.0.0.2` },
    });
    expect(values).not.toBe('all');
    for (const value of [SHA, MD5, '10.0.0.1', '2001:db8::1', '10.0.0.2']) {
      expect([value, (values as ReadonlySet<string>).has(value)]).toEqual([value, true]);
    }
  });

  it('counts an event too large to scan as carrying every value', () => {
    expect(carriedValuesOf({ process: { arguments: 'x'.repeat(70_000) } })).toBe('all');
    const wide = { list: Array.from({ length: 3000 }, (_, n) => String(n)) };
    expect(carriedValuesOf(wide)).toBe('all');
    expect(
      attribute([{ file: { sha256: SHA }, blob: 'y'.repeat(70_000) }], [sha, otherSha]),
    ).toEqual({
      matched: [[0], []],
      carried: [false, true],
      unmatched: 0,
      unmatchedType: undefined,
    });
  });

  it('scans in time linear in the event', () => {
    const text = '1.'.repeat(30_000);
    const started = performance.now();
    carriedValuesOf({ a: text });
    expect(performance.now() - started).toBeLessThan(500);
  });
});
