import { describe, expect, it } from '@jest/globals';
import {
  FILE_EVENT_ID,
  FILE_NAME_OBSERVABLE,
  fileEvent,
  IP_OBSERVABLE,
  MD5,
  MUTEX_EVENT_ID,
  MUTEX_OBSERVABLE,
  mutexEvent,
  NETWORK_EVENT_ID,
  networkEvent,
  NOW,
  PROCESS_EVENT_ID,
  processEvent,
  SHA256,
  SHA256_OBSERVABLE,
  windowsAsset,
} from '../../test/support/ctim-events.js';
import { randomTransientIdOf } from '../../test/support/ctim-matchers.js';
import { expectValidCtim } from '../../tools/lib/ctim-validator.js';
import type { SupportedObservable } from '../common/observable.js';
import type { QualysEvent } from '../qualys/qualys-event.js';
import type { Sighting } from './ctim.types.js';
import type { MappingContext } from './mapping-context.js';
import { SightingMapper } from './sighting.mapper.js';

const mapper = new SightingMapper();
const SIGHTING_ID = randomTransientIdOf('sighting');
const WINDOWS_TARGET_OBSERVABLES = [
  { type: 'hostname', value: 'WIN10-FIN-07' },
  { type: 'ip', value: '10.10.10.29' },
  { type: 'mac_address', value: '00:50:56:a1:2b:3c' },
  { type: 'ip', value: 'fe80::f183:4a7b:3ee8:1576' },
];
const WINDOWS_OS = 'Microsoft Windows 10 Enterprise 10.0.19045 64-bit N/A Build 19045';

function ctx(observable: SupportedObservable, active = true): MappingContext {
  return { observable, active, now: NOW };
}

/** Maps, checks the result is valid CTIM, and returns it. */
function map(event: QualysEvent, context: MappingContext): Sighting {
  const sighting = mapper.map(event, context);
  expectValidCtim(sighting);
  return sighting;
}

/** The fields every sighting has, whatever the event (spec §5). */
function expectedSighting(fields: {
  observable: SupportedObservable;
  externalIds: string[];
  time: string;
  severity: string;
  targetObservables: { type: string; value: string }[];
  os?: string;
  relations: unknown[];
  active: boolean;
}): Sighting {
  const observedTime = { start_time: fields.time, end_time: fields.time };
  return {
    id: SIGHTING_ID,
    type: 'sighting',
    schema_version: '1.0.17',
    source: 'Qualys IOC',
    confidence: 'High',
    count: 1,
    sensor: 'endpoint',
    external_ids: fields.externalIds,
    external_references: [],
    observables: [{ type: fields.observable.type, value: fields.observable.value }],
    observed_time: observedTime,
    description: `A Qualys IOC event related to "${fields.observable.value}"`,
    severity: fields.severity,
    targets: [
      {
        type: 'endpoint',
        observables: fields.targetObservables,
        observed_time: observedTime,
        ...(fields.os === undefined ? {} : { os: fields.os }),
      },
    ],
    relations: fields.relations,
    data: {
      columns: [{ name: 'Active', type: 'string' }],
      rows: [[fields.active ? 'True' : 'False']],
      row_count: 1,
    },
  } as Sighting;
}

const relation = (relationName: string, source: [string, string], related: [string, string]) => ({
  origin: 'Qualys IOC',
  relation: relationName,
  source: { type: source[0], value: source[1] },
  related: { type: related[0], value: related[1] },
});

const FILE_RELATIONS = [
  relation('File_Name_Of', ['file_name', 'invoice.exe'], ['sha256', SHA256]),
  relation('File_Name_Of', ['file_name', 'invoice.exe'], ['md5', MD5]),
  relation(
    'File_Path_Of',
    ['file_path', 'C:\\Users\\alice\\Downloads\\invoice.exe'],
    ['sha256', SHA256],
  ),
  relation('File_Path_Of', ['file_path', 'C:\\Users\\alice\\Downloads\\invoice.exe'], ['md5', MD5]),
];

describe('SightingMapper', () => {
  describe('event types', () => {
    it('maps a FILE event from the active search', () => {
      expect(map(fileEvent(), ctx(SHA256_OBSERVABLE))).toEqual(
        expectedSighting({
          observable: SHA256_OBSERVABLE,
          externalIds: [FILE_EVENT_ID],
          time: '2024-05-14T09:12:44.000Z',
          severity: 'High',
          targetObservables: WINDOWS_TARGET_OBSERVABLES,
          os: WINDOWS_OS,
          relations: FILE_RELATIONS,
          active: true,
        }),
      );
    });

    it('maps a PROCESS event: no file or network block, so no relations', () => {
      expect(map(processEvent(), ctx(FILE_NAME_OBSERVABLE))).toEqual(
        expectedSighting({
          observable: FILE_NAME_OBSERVABLE,
          externalIds: [PROCESS_EVENT_ID],
          time: '2024-05-14T09:02:03.517Z',
          severity: 'Medium',
          targetObservables: WINDOWS_TARGET_OBSERVABLES,
          os: WINDOWS_OS,
          relations: [],
          active: true,
        }),
      );
    });

    it('maps a NETWORK event from the historical search, with its process and DNS relations', () => {
      expect(map(networkEvent(), ctx(IP_OBSERVABLE, false))).toEqual(
        expectedSighting({
          observable: IP_OBSERVABLE,
          externalIds: [NETWORK_EVENT_ID],
          time: '2024-05-14T09:30:00.000Z',
          severity: 'High',
          targetObservables: [
            { type: 'hostname', value: 'web-01' },
            { type: 'ip', value: '10.10.10.40' },
            { type: 'mac_address', value: '02:42:ac:11:00:02' },
          ],
          os: 'Ubuntu 22.04.4 LTS',
          relations: [
            relation('Connected_To', ['file_name', 'beacon.exe'], ['ip', '203.0.113.7']),
            relation('Connected_To', ['file_name', 'beacon.exe'], ['domain', 'c2.example.net']),
            relation('Resolved_To', ['ip', '203.0.113.7'], ['domain', 'c2.example.net']),
          ],
          active: false,
        }),
      );
    });

    it('maps a MUTEX event without score: severity Unknown, no os, no relations', () => {
      expect(map(mutexEvent(), ctx(MUTEX_OBSERVABLE))).toEqual(
        expectedSighting({
          observable: MUTEX_OBSERVABLE,
          externalIds: [MUTEX_EVENT_ID],
          time: '2024-05-14T09:12:44.000Z',
          severity: 'Unknown',
          targetObservables: [{ type: 'hostname', value: 'WIN10-FIN-07' }],
          relations: [],
          active: true,
        }),
      );
    });
  });

  describe('severity (spec §5 score table)', () => {
    const SEVERITIES = [
      'None',
      'High',
      'Low',
      'Low',
      'Low',
      'Medium',
      'Medium',
      'Medium',
      'High',
      'High',
      'High',
    ];

    it.each(SEVERITIES.map((severity, score) => [score, severity] as const))(
      'maps score %i, as a string and as a number, to %s',
      (score, severity) => {
        const fromString = map({ ...mutexEvent(), score: String(score) }, ctx(MUTEX_OBSERVABLE));
        const fromNumber = map({ ...mutexEvent(), score }, ctx(MUTEX_OBSERVABLE));
        expect([fromString.severity, fromNumber.severity]).toEqual([severity, severity]);
      },
    );

    it.each([['11'], ['-1'], ['abc'], [''], [null], [8.5], [{}]])(
      'maps the unknown score %p to Unknown',
      (score) => {
        expect(map({ ...fileEvent(), score }, ctx(SHA256_OBSERVABLE)).severity).toBe('Unknown');
      },
    );
  });

  describe('targets', () => {
    const endpoint = (event: QualysEvent) => map(event, ctx(SHA256_OBSERVABLE)).targets;
    const at = { start_time: '2024-05-14T09:12:44.000Z', end_time: '2024-05-14T09:12:44.000Z' };

    it.each([
      ['missing', undefined],
      ['null', null],
      ['a string', 'WIN10'],
      ['an array', [windowsAsset()]],
    ])('is an endpoint without observables or os when asset is %s', (_name, asset) => {
      const event = { ...fileEvent(), asset } as QualysEvent;
      expect(endpoint(event)).toEqual([{ type: 'endpoint', observables: [], observed_time: at }]);
    });

    it.each([
      ['missing', undefined],
      ['null', null],
      ['not a list', { ipAddress: '10.0.0.1' }],
    ])('keeps hostname and os when interfaces is %s', (_name, interfaces) => {
      const asset = { netBiosName: 'WIN10', fullOSName: 'Windows', interfaces };
      expect(endpoint({ ...fileEvent(), asset } as QualysEvent)).toEqual([
        {
          type: 'endpoint',
          observables: [{ type: 'hostname', value: 'WIN10' }],
          observed_time: at,
          os: 'Windows',
        },
      ]);
    });

    it('skips empty, null and non-string values and non-object interfaces', () => {
      const asset = {
        netBiosName: '',
        fullOSName: null,
        interfaces: [
          null,
          'eth0',
          { ipAddress: '', macAddress: null },
          { ipAddress: { v4: '10.0.0.1' }, macAddress: 'aa:bb:cc:dd:ee:ff' },
          { ipAddress: '10.0.0.2' },
        ],
      };
      expect(endpoint({ ...fileEvent(), asset } as QualysEvent)).toEqual([
        {
          type: 'endpoint',
          observables: [
            { type: 'mac_address', value: 'aa:bb:cc:dd:ee:ff' },
            { type: 'ip', value: '10.0.0.2' },
          ],
          observed_time: at,
        },
      ]);
    });
  });

  describe('typed targets (spec §15: what the relay emits is what it says it is)', () => {
    const endpoint = (event: QualysEvent) => map(event, ctx(SHA256_OBSERVABLE)).targets;
    const at = { start_time: '2024-05-14T09:12:44.000Z', end_time: '2024-05-14T09:12:44.000Z' };

    it('leaves out values invalid for their type and keeps their valid siblings', () => {
      const asset = {
        netBiosName: '<b>host</b>',
        interfaces: [
          { ipAddress: 'javascript:alert(1)', macAddress: '\u202e' },
          { ipAddress: '10.0.0.2', macAddress: '00-15-5D-0A-21-9F' },
          { ipAddress: 'fe80::1%eth0', macAddress: '00:15:5d:0a:21' },
          { ipAddress: '2001:db8::7' },
        ],
      };
      expect(endpoint({ ...fileEvent(), asset })).toEqual([
        {
          type: 'endpoint',
          observables: [
            { type: 'ip', value: '10.0.0.2' },
            { type: 'mac_address', value: '00-15-5D-0A-21-9F' },
            { type: 'ip', value: '2001:db8::7' },
          ],
          observed_time: at,
        },
      ]);
    });

    it('carries at most 64 observables: the hostname, then interfaces in order', () => {
      const interfaces = Array.from({ length: 100 }, (_, i) => ({
        ipAddress: `10.0.${Math.floor(i / 256)}.${i % 256}`,
        macAddress: `02:00:00:00:00:${(i % 256).toString(16).padStart(2, '0')}`,
      }));
      const asset = { netBiosName: 'BIG-HOST', interfaces };
      const [target] = endpoint({ ...fileEvent(), asset });
      expect(target.observables).toHaveLength(64);
      expect(target.observables.slice(0, 3)).toEqual([
        { type: 'hostname', value: 'BIG-HOST' },
        { type: 'ip', value: '10.0.0.0' },
        { type: 'mac_address', value: '02:00:00:00:00:00' },
      ]);
      expect(target.observables[63]).toEqual({ type: 'ip', value: '10.0.0.31' });
    });
  });

  describe('observed_time (spec §5: UTC ISO-8601 with milliseconds and Z)', () => {
    it.each([
      ['2024-05-14T09:12:44.000+0000', '2024-05-14T09:12:44.000Z'],
      ['2024-05-14T09:12:44.000+00:00', '2024-05-14T09:12:44.000Z'],
      ['2024-05-14T09:12:44.000Z', '2024-05-14T09:12:44.000Z'],
      ['2024-05-14T12:12:44.250+0300', '2024-05-14T09:12:44.250Z'],
      ['2024-05-14T09:12:44-0000', '2024-05-14T09:12:44.000Z'],
    ])('normalises %s to %s, on the sighting and on its target', (dateTime, expected) => {
      const sighting = map({ ...fileEvent(), dateTime }, ctx(SHA256_OBSERVABLE));
      const time = { start_time: expected, end_time: expected };
      expect([sighting.observed_time, sighting.targets[0]?.observed_time]).toEqual([time, time]);
    });

    it.each([
      ['missing', undefined],
      ['null', null],
      ['empty', ''],
      ['unparsable', 'last Tuesday'],
      ['impossible', '2024-02-30T09:12:44.000Z'],
    ])('falls back to the request clock when dateTime is %s', (_name, dateTime) => {
      const sighting = map({ ...fileEvent(), dateTime }, ctx(SHA256_OBSERVABLE));
      const time = { start_time: NOW.toISOString(), end_time: NOW.toISOString() };
      expect([sighting.observed_time, sighting.targets[0]?.observed_time]).toEqual([time, time]);
    });
  });

  describe('relations (spec §5 table)', () => {
    const relationsOf = (event: QualysEvent) => map(event, ctx(SHA256_OBSERVABLE)).relations;

    it('leaves out each relation one of whose values is missing or empty', () => {
      const event = {
        ...fileEvent(),
        file: { fileName: 'invoice.exe', fullPath: '', sha256: null, md5: MD5 },
      };
      expect(relationsOf(event)).toEqual([
        relation('File_Name_Of', ['file_name', 'invoice.exe'], ['md5', MD5]),
      ]);
    });

    it('needs the process name for Connected_To and the remote IP for Resolved_To', () => {
      const event = {
        ...networkEvent(),
        process: { processName: '' },
        network: { remoteIP: '198.51.100.9', remoteDns: 'cdn.example.org' },
      };
      expect(relationsOf(event)).toEqual([
        relation('Resolved_To', ['ip', '198.51.100.9'], ['domain', 'cdn.example.org']),
      ]);
      const noIp = { ...networkEvent(), network: { remoteDns: 'cdn.example.org' } };
      expect(relationsOf(noIp)).toEqual([
        relation('Connected_To', ['file_name', 'beacon.exe'], ['domain', 'cdn.example.org']),
      ]);
    });

    it('needs both ends valid for their types (spec §15)', () => {
      const event = {
        ...networkEvent(),
        process: { processName: 'p'.repeat(1025) },
        network: { remoteIP: 'not-an-ip', remoteDns: 'cdn.example.org' },
      };
      expect(relationsOf(event)).toEqual([]);
      const file = {
        ...fileEvent(),
        file: { fileName: 'invoice.exe', fullPath: 'C:\\x\\invoice.exe', sha256: 'zz', md5: MD5 },
      };
      expect(relationsOf(file)).toEqual([
        relation('File_Name_Of', ['file_name', 'invoice.exe'], ['md5', MD5]),
        relation('File_Path_Of', ['file_path', 'C:\\x\\invoice.exe'], ['md5', MD5]),
      ]);
    });

    it('survives null and non-object blocks', () => {
      const event = {
        ...fileEvent(),
        file: null,
        process: 'x',
        network: [1],
      } as unknown as QualysEvent;
      expect(relationsOf(event)).toEqual([]);
    });
  });

  describe('ids and text', () => {
    it('sends no external id when the event has none, and a numeric id as text', () => {
      const { id: _id, ...withoutId } = fileEvent();
      expect(map(withoutId, ctx(SHA256_OBSERVABLE)).external_ids).toEqual([]);
      expect(map({ ...fileEvent(), id: '' }, ctx(SHA256_OBSERVABLE)).external_ids).toEqual([]);
      expect(map({ ...fileEvent(), id: 42 }, ctx(SHA256_OBSERVABLE)).external_ids).toEqual(['42']);
    });

    it('gives each sighting a fresh id', () => {
      const [a, b] = [fileEvent(), fileEvent()].map(
        (e) => mapper.map(e, ctx(SHA256_OBSERVABLE)).id,
      );
      expect(a).not.toBe(b);
    });

    it('carries only type and value of the queried observable', () => {
      const observable = { type: 'sha256', value: SHA256, extra: 'dropped' } as SupportedObservable;
      const sighting = map(fileEvent(), ctx(observable));
      expect(sighting.observables).toEqual([{ type: 'sha256', value: SHA256 }]);
      expect(Object.keys(sighting.observables[0] ?? {})).toEqual(['type', 'value']);
    });

    it('cuts a description over 5000 characters (spec §5)', () => {
      const observable: SupportedObservable = { type: 'file_path', value: 'C:\\'.repeat(2000) };
      const sighting = map(fileEvent(), ctx(observable));
      const full = `A Qualys IOC event related to "${observable.value}"`;
      expect(sighting.description).toBe(full.slice(0, 5000));
      expect(sighting.observables).toEqual([observable]);
    });
  });
});
