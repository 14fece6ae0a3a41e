import { describe, expect, it } from '@jest/globals';
import type { QualysEvent } from '../../src/qualys/qualys-event.js';
import {
  NOISY_EVENTS_PER_STATE,
  SIMULATOR_EVENTS,
  SIMULATOR_VALUES,
  UNATTRIBUTABLE_EVENTS,
  UNATTRIBUTABLE_VALUES,
} from './dataset.js';
import { compileFilter } from './filter-parser.js';

const V = SIMULATOR_VALUES;

/** The spec §4 filters, as the relay builds them. */
function specFilter(type: string, value: string): string {
  const q = `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
  const forms: Record<string, string> = {
    md5: `file.hash.md5: ${q}`,
    sha256: `file.hash.sha256: ${q}`,
    file_name: `file.name: ${q}`,
    file_path: `file.fullPath: ${q}`,
    ip: `network.local.address.ip: ${q} or network.remote.address.ip: ${q}`,
    domain: `network.remote.address.fqdn: ${q}`,
    mutex: `handle.name: ${q}`,
  };
  return forms[type];
}

function matching(type: string, value: string, active: boolean): QualysEvent[] {
  const match = compileFilter(specFilter(type, value));
  return SIMULATOR_EVENTS.filter((entry) => entry.active === active && match(entry.event)).map(
    (entry) => entry.event,
  );
}

function counts(type: string, value: string): { active: number; historical: number } {
  return {
    active: matching(type, value, true).length,
    historical: matching(type, value, false).length,
  };
}

function onlyActive(sha256: string): QualysEvent {
  const events = matching('sha256', sha256, true);
  expect(events).toHaveLength(1);
  expect(matching('sha256', sha256, false)).toEqual([]);
  return events[0];
}

const allEvents = SIMULATOR_EVENTS.map((entry) => entry.event);

describe('SIMULATOR_EVENTS', () => {
  it('holds 23 hand-written events plus the noisy ones, with unique ids', () => {
    expect(SIMULATOR_EVENTS).toHaveLength(23 + 4 * NOISY_EVENTS_PER_STATE);
    expect(new Set(allEvents.map((event) => event.id)).size).toBe(SIMULATOR_EVENTS.length);
  });

  it("uses Qualys's timestamp format everywhere", () => {
    const badTimes = allEvents
      .map((event) => event.dateTime)
      .filter(
        (time) =>
          typeof time !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/.test(time),
      );
    expect(badTimes).toEqual([]);
  });

  it('is deterministic: the first event is exactly the documented one', () => {
    expect(SIMULATOR_EVENTS[0]).toEqual({
      active: true,
      event: {
        id: '5e1a7c01-0000-4000-8000-000000000001',
        dateTime: '2024-05-14T09:12:44.000+0000',
        customerId: 'c3d6a1e0-7f21-4b9a-9e55-2b8f0d4c6a11',
        eventSource: 'EDR',
        type: 'FILE',
        action: 'Created',
        score: '8',
        asset: {
          netBiosName: 'FIN-LT-0042',
          fullOSName: 'Microsoft Windows 10 Enterprise 22H2 64-bit N/A Build 19045',
          agentId: '9d0c2f4e-1b7a-4c38-a6e2-5f81d3b0c742',
          interfaces: [
            {
              ipAddress: '10.12.4.21',
              macAddress: '00:50:56:a1:3c:07',
              hostname: 'fin-lt-0042.corp.example.com',
            },
          ],
        },
        file: {
          fileName: 'invoice_2024.exe',
          fullPath: 'C:\\Users\\jdoe\\Downloads\\invoice_2024.exe',
          sha256: V.sha256,
          md5: V.md5,
          size: 482816,
        },
        process: { processName: 'chrome.exe', pid: 9120 },
        indicator2: [
          {
            verdict: 'MALICIOUS',
            threatName: 'Trojan.GenericKD.46542',
            score: 8,
            category: 'Trojan',
          },
          { verdict: 'MALICIOUS', threatName: 'Win32/Emotet.AB', score: '9', category: 'Malware' },
        ],
      },
    });
  });

  it('is frozen, so a test cannot change what later tests see', () => {
    expect(Object.isFrozen(SIMULATOR_EVENTS)).toBe(true);
    expect(Object.isFrozen(SIMULATOR_EVENTS[0].event.asset?.interfaces?.[0])).toBe(true);
  });

  it('keeps the active flag outside the events', () => {
    expect(allEvents.filter((event) => 'active' in event)).toEqual([]);
  });

  it.each([
    ['md5', V.md5, 2, 2],
    ['sha256', V.sha256, 2, 2],
    ['file_name', V.fileName, 2, 2],
    ['file_path', V.filePath, 2, 2],
    ['ip', V.ip, 2, 2],
    ['ip', V.localIp, 1, 1],
    ['domain', V.domain, 1, 1],
    ['mutex', V.mutex, 1, 1],
    ['file_name', V.quotedFileName, 1, 1],
    ['file_path', V.quotedFilePath, 1, 1],
    ['sha256', V.noisySha256, 150, 150],
    ['ip', V.noisyIp, 150, 150],
  ])('has active and historical %s events for %j', (type, value, active, historical) => {
    expect(counts(type, value)).toEqual({ active, historical });
  });

  it('has the ip value as a remote address in some events and a local one in others', () => {
    const events = [...matching('ip', V.ip, true), ...matching('ip', V.ip, false)];
    expect(
      events.map((event) => [event.network?.localIP === V.ip, event.network?.remoteIP === V.ip]),
    ).toEqual([
      [false, true],
      [true, false],
      [false, true],
      [true, false],
    ]);
  });

  it('has localIp only as a local address', () => {
    const events = [...matching('ip', V.localIp, true), ...matching('ip', V.localIp, false)];
    expect(events.map((event) => event.network?.localIP)).toEqual([V.localIp, V.localIp]);
  });

  it('puts a double quote and a backslash in the quoted file name', () => {
    expect(V.quotedFileName).toContain('"');
    expect(V.quotedFileName).toContain('\\');
  });

  it('covers every score from 0 to 10, as strings, plus one numeric score', () => {
    const scores = new Set(allEvents.map((event) => event.score));
    const stringScores = [...scores].filter((score) => typeof score === 'string');
    expect(stringScores.sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 11 }, (_, i) => String(i)),
    );
    expect([...scores].filter((score) => typeof score === 'number')).toEqual([8]);
  });

  it('covers every verdict, an unknown one and an entry without verdict', () => {
    const verdicts = new Set(
      allEvents.flatMap((event) => (event.indicator2 ?? []).map((i) => i.verdict)),
    );
    expect([...verdicts].sort()).toEqual(
      [
        'KNOWN',
        'MALICIOUS',
        'POTENTIALLY_UNWANTED',
        'REMEDIATED',
        'SUSPICIOUS',
        'UNKNOWN',
        undefined,
      ].sort(),
    );
  });

  it('has a known-good event', () => {
    const event = onlyActive(V.cleanSha256);
    expect([event.score, event.indicator2]).toEqual([
      '0',
      [{ verdict: 'KNOWN', threatName: 'Microsoft Windows Notepad', score: 0, category: 'Clean' }],
    ]);
  });

  it('has the edge cases, each alone under its own SHA-256', () => {
    expect('score' in onlyActive(V.missingScoreSha256)).toBe(false);
    expect(onlyActive(V.numericScoreSha256).score).toBe(8);
    expect('indicator2' in onlyActive(V.noIndicator2Sha256)).toBe(false);
    expect(onlyActive(V.emptyIndicator2Sha256).indicator2).toEqual([]);
    expect(onlyActive(V.noInterfacesSha256).asset).toEqual({
      netBiosName: 'KIOSK-07',
      fullOSName: 'Microsoft Windows 10 IoT Enterprise LTSC 2021',
    });
    expect('asset' in onlyActive(V.noAssetSha256)).toBe(false);
    expect(onlyActive(V.unknownVerdictSha256).indicator2).toEqual([
      {
        verdict: 'POTENTIALLY_UNWANTED',
        threatName: 'PUA.Win32.BundleInstaller',
        score: '4',
        category: 'PUA',
      },
      { score: 3, category: 'Heuristic' },
    ]);
    expect(onlyActive(V.disputedSha256).indicator2?.map((entry) => entry.verdict)).toEqual([
      'SUSPICIOUS',
      'KNOWN',
    ]);
  });

  it('has events without a file block and events without a network block', () => {
    const mutexEvents = [...matching('mutex', V.mutex, true), ...matching('mutex', V.mutex, false)];
    expect(mutexEvents.map((event) => ['file' in event, 'network' in event])).toEqual([
      [false, false],
      [false, false],
    ]);
    expect(matching('domain', V.domain, true).map((event) => 'file' in event)).toEqual([false]);
  });

  it('has values that match nothing', () => {
    const everything = JSON.stringify(allEvents);
    expect(everything.includes(V.unknown)).toBe(false);
    expect(everything.includes(V.unknownSha256)).toBe(false);
    expect(everything.includes(V.unknownIp)).toBe(false);
  });
});

describe('UNATTRIBUTABLE_EVENTS', () => {
  const U = UNATTRIBUTABLE_VALUES;
  const everything = [...SIMULATOR_EVENTS, ...UNATTRIBUTABLE_EVENTS];
  const found = (hash: string, looseHashes: boolean) => {
    const match = compileFilter(specFilter('sha256', hash), { looseHashes });
    return everything.filter((entry) => match(entry.event)).map((entry) => entry.event.id);
  };

  it('are not in the built-in data set, and have ids of their own', () => {
    const ids = new Set(allEvents.map((event) => event.id));
    expect(UNATTRIBUTABLE_EVENTS.filter((entry) => ids.has(entry.event.id))).toEqual([]);
    expect(UNATTRIBUTABLE_EVENTS.map((entry) => entry.active)).toEqual([true, false, true, false]);
  });

  it('hold a hash only in a verdict, and one only in upper case', () => {
    const carriers = UNATTRIBUTABLE_EVENTS.slice(0, 2).map((entry) => entry.event);
    expect(carriers.map((event) => [event.file?.sha256, event.indicator2?.[0]?.sha256])).toEqual([
      [U.carrierSha256, U.verdictOnlySha256],
      [U.carrierSha256, U.verdictOnlySha256],
    ]);
    const uppers = UNATTRIBUTABLE_EVENTS.slice(2).map((entry) => entry.event.file?.sha256);
    expect(uppers).toEqual([U.upperCaseSha256.toUpperCase(), U.upperCaseSha256.toUpperCase()]);
  });

  it('are found for those hashes only when hash filters match loosely', () => {
    const [carrierActive, carrierHistorical, upperActive, upperHistorical] =
      UNATTRIBUTABLE_EVENTS.map((entry) => entry.event.id);
    expect(found(U.verdictOnlySha256, false)).toEqual([]);
    expect(found(U.upperCaseSha256, false)).toEqual([]);
    expect(found(U.verdictOnlySha256, true)).toEqual([carrierActive, carrierHistorical]);
    expect(found(U.upperCaseSha256, true)).toEqual([upperActive, upperHistorical]);
    expect(found(U.carrierSha256, false)).toEqual([carrierActive, carrierHistorical]);
  });
});
