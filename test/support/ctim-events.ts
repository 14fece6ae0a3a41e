/**
 * Qualys IOC events shaped like the ones `GET /ioc/events` returns (spec §7),
 * for the Ctim mapper specs. Each builder returns a fresh object, so a test
 * may mutate its copy. Unknown fields (`agentId`, `category` …) are included
 * on purpose: mappers must ignore them.
 */
import type { SupportedObservable } from '../../src/common/observable.js';
import type { QualysEvent } from '../../src/qualys/qualys-event.js';

export const SHA256 = 'bb72b8aa82b48bc68a082f86a8a8f4262023a732b464f03e44a3a9eb83229105';
export const MD5 = '1577e6455a5d19413c9e0c7726983e8c';

export const FILE_EVENT_ID = 'F_5ab4ee62-1d5f-3c19-a19f-7a86dc453569_14-5-2024';
export const PROCESS_EVENT_ID = 'P_0c2f1a3e-7d4b-4e1a-9f0e-2b7c9d8e6a51_14-5-2024';
export const NETWORK_EVENT_ID = 'N_7e9d2c41-3b8a-4f6e-a1d2-5c4b3a2f1e0d_14-5-2024';
export const MUTEX_EVENT_ID = 'M_4d3c2b1a-0f9e-4d8c-b7a6-958473625140_14-5-2024';

/**
 * uuid v5 of the event ids above in the X.500 namespace, computed outside this
 * code base with Python (`uuid.uuid5(uuid.NAMESPACE_X500, id)`), as the
 * original relay did.
 */
export const PYTHON_UUID5 = {
  abc: '53e882a6-63b1-578b-8bf1-8f0878cfa6b7',
  '42': 'e4b88014-47c6-5fe0-a195-13710e5f6e27',
  [FILE_EVENT_ID]: 'ac3ee68a-970b-5eed-9f06-2b47578e04a4',
  [PROCESS_EVENT_ID]: '366fc6b2-f0a7-553d-baeb-3926d0bc9cdb',
  [NETWORK_EVENT_ID]: '853f1fa5-44d8-56a5-a6e5-4ccc7e3eef64',
} as const;

export function windowsAsset() {
  return {
    fullOSName: 'Microsoft Windows 10 Enterprise 10.0.19045 64-bit N/A Build 19045',
    hostName: 'WIN10-FIN-07',
    netBiosName: 'WIN10-FIN-07',
    agentId: '5b49017b-90dd-4a6d-92ea-7651bafdc1ec',
    customerId: 'b556a9b9-474e-66e5-81cc-471d5a1f712b',
    platform: 'WINDOWS',
    interfaces: [
      { ipAddress: '10.10.10.29', macAddress: '00:50:56:a1:2b:3c', hostname: 'WIN10-FIN-07' },
      { ipAddress: 'fe80::f183:4a7b:3ee8:1576' },
    ],
  };
}

/** A FILE event: a malicious download, with hashes and one indicator2 entry. */
export function fileEvent(): QualysEvent {
  return {
    id: FILE_EVENT_ID,
    dateTime: '2024-05-14T09:12:44.000+0000',
    type: 'FILE',
    action: 'CREATED',
    score: '8',
    file: {
      fullPath: 'C:\\Users\\alice\\Downloads\\invoice.exe',
      path: 'C:\\Users\\alice\\Downloads',
      fileName: 'invoice.exe',
      extension: 'exe',
      sha256: SHA256,
      md5: MD5,
      createdDate: '2024-05-14T09:12:40.290+0000',
    },
    indicator2: [
      {
        score: 8,
        sha256: SHA256,
        familyName: 'Kolab',
        verdict: 'MALICIOUS',
        threatName: 'Win32.Worm.Kolab',
        category: 'Worm',
      },
    ],
    asset: windowsAsset(),
  };
}

/** A PROCESS event: a suspicious PowerShell, no network, no file hashes. */
export function processEvent(): QualysEvent {
  return {
    id: PROCESS_EVENT_ID,
    dateTime: '2024-05-14T11:02:03.517+02:00',
    type: 'PROCESS',
    action: 'RUNNING',
    score: '6',
    process: {
      processName: 'powershell.exe',
      imageFullPath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      pid: 4242,
      arguments: '-nop -w hidden -enc SQBFAFgA',
    },
    indicator2: [
      { score: '6', verdict: 'SUSPICIOUS', threatName: 'Suspicious.PowerShell.Encoded' },
    ],
    asset: windowsAsset(),
  };
}

/** A NETWORK event: a process talking to a C2 host, resolved by DNS. */
export function networkEvent(): QualysEvent {
  return {
    id: NETWORK_EVENT_ID,
    dateTime: '2024-05-14T09:30:00Z',
    type: 'NETWORK',
    action: 'ESTABLISHED',
    score: 10,
    process: { processName: 'beacon.exe', pid: 5120 },
    network: {
      localIP: '10.10.10.29',
      localPort: 50123,
      remoteIP: '203.0.113.7',
      remotePort: 443,
      remoteDns: 'c2.example.net',
      protocol: 'TCP',
    },
    indicator2: [
      { score: 10, verdict: 'MALICIOUS', threatName: 'Cobalt.Strike.Beacon' },
      { score: 9, verdict: 'REMEDIATED', threatName: 'Generic.C2' },
    ],
    asset: {
      fullOSName: 'Ubuntu 22.04.4 LTS',
      netBiosName: 'web-01',
      interfaces: [{ ipAddress: '10.10.10.40', macAddress: '02:42:ac:11:00:02' }],
    },
  };
}

/** A MUTEX event: no score, no indicator2, no asset interfaces. */
export function mutexEvent(): QualysEvent {
  return {
    id: MUTEX_EVENT_ID,
    dateTime: '2024-05-14T09:12:44+0000',
    type: 'MUTEX',
    action: 'CREATED',
    handle: { name: 'Global\\MsWinZonesCacheCounterMutexA0', type: 'MUTANT' },
    asset: { netBiosName: 'WIN10-FIN-07' },
  };
}

export const SHA256_OBSERVABLE: SupportedObservable = { type: 'sha256', value: SHA256 };
export const FILE_NAME_OBSERVABLE: SupportedObservable = {
  type: 'file_name',
  value: 'powershell.exe',
};
export const IP_OBSERVABLE: SupportedObservable = { type: 'ip', value: '203.0.113.7' };
export const MUTEX_OBSERVABLE: SupportedObservable = {
  type: 'mutex',
  value: 'Global\\MsWinZonesCacheCounterMutexA0',
};

/** The request clock the mapper specs use. */
export const NOW = new Date('2024-06-01T12:00:00.000Z');
