import type { QualysAsset, QualysEvent } from '../../src/qualys/qualys-event.js';

/**
 * The simulator's built-in Qualys IOC events. Fully deterministic (fixed ids,
 * fixed times, no randomness) so tests can assert exact relay output.
 *
 * Shapes follow what Qualys really sends (spec §7): loosely typed, blocks
 * sometimes missing, unknown fields present. Each observable type of spec §4
 * has active and historical events; edge cases each get their own SHA-256 so
 * a test can query exactly one of them.
 */

/** An event and whether the simulator serves it to `state=true` (active) searches. */
export interface SimulatorEvent {
  readonly active: boolean;
  readonly event: QualysEvent;
}

/** Observable values with known behaviour, for tests and the demo. */
export const SIMULATOR_VALUES = {
  /** MD5 of invoice_2024.exe: 2 active + 2 historical events (FILE, PROCESS). */
  md5: 'e5f96ae00443877315fbb64fd3d90005',
  /** SHA-256 of invoice_2024.exe, the same 2 + 2 events as `md5`. */
  sha256: '52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786',
  /** File name of the same file: 2 active + 2 historical. */
  fileName: 'invoice_2024.exe',
  /** Full path of the same file (contains backslashes): 2 active + 2 historical. */
  filePath: 'C:\\Users\\jdoe\\Downloads\\invoice_2024.exe',
  /** An IP seen as remote (C2) and as local (DMZ server): 2 active + 2 historical. */
  ip: '203.0.113.66',
  /** An IP seen only as a local address: 1 active + 1 historical. */
  localIp: '10.12.4.21',
  /** The C2 domain (remoteDns, resolves to `ip`): 1 active + 1 historical. */
  domain: 'update-check.malware-c2.example.net',
  /** A mutex (handle.name, contains a backslash): 1 active + 1 historical. */
  mutex: 'Global\\MsWinZonesCacheCounterMutexA0',
  /** A file name containing `"` and `\`, to test filter escaping: 1 active + 1 historical. */
  quotedFileName: 'report "Q2" \\ final.sh',
  /** The full path of that file: 1 active + 1 historical. */
  quotedFilePath: '/home/dev/report "Q2" \\ final.sh',
  /** A known-good file (score "0", verdict KNOWN): 1 active. */
  cleanSha256: '3b066804f6d1d077173cfe4d06002e6a61e6f21c2b2e648417962115f1afcd8e',
  /** An event without `score`: 1 active. */
  missingScoreSha256: 'ffa63583dfa6706b87d284b86b0d693a161e4840aad2c5cf6b5d27c3b9621f7d',
  /** An event whose `score` is the number 8, not "8": 1 active. */
  numericScoreSha256: '15f450a59134f37ab2bf2282e48351984b39a1a2c8da32f74883c57f8de06ed7',
  /** An event without `indicator2`: 1 active. */
  noIndicator2Sha256: '99361125b0c07b65d7ad3f8c47d9399fd2e272b4055e060dd4fc67c7b48f0d17',
  /** An event with `indicator2: []`: 1 active. */
  emptyIndicator2Sha256: '7383a0c875006a50bcbfbb7f22f223aba912e6cb7961430685884850dd581ef5',
  /** An event whose asset has no `interfaces`: 1 active. */
  noInterfacesSha256: '6bcdae7cdbd7bd2b19c0dacdcde65c6af1bacaba2e2a30c8b533abf7f4f3c1ab',
  /** An event without `asset`: 1 active. */
  noAssetSha256: 'b34c0158c536e6c78665100a26100e7d3bc2d78120d10fba9eb94da9d025c377',
  /** An event with an unknown verdict string and an indicator2 entry with no verdict/threatName. */
  unknownVerdictSha256: '9131ca38d938251a1367efa4fb91f2e31e28aee31a952bd0176e256ddf4d9642',
  /** An event whose engines disagree (SUSPICIOUS, then KNOWN): its verdict is Clean. 1 active. */
  disputedSha256: 'd1a4f0e6c3b2a19087f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918',
  /** A SHA-256 with 150 active + 150 historical FILE events (limit tests). */
  noisySha256: 'acd6beff7c3430bfed5d69f86c5c9e6a32ad2a27a2c2a1e8763ce08f6c3da5ec',
  /** A remote IP with 150 active + 150 historical NETWORK events (limit tests). */
  noisyIp: '198.51.100.77',
  /** A value no event carries in any field. */
  unknown: 'no-such-observable-in-simulator',
  /** A well-formed SHA-256 that matches nothing. */
  unknownSha256: '0000000000000000000000000000000000000000000000000000000000000000',
  /** A well-formed IP that matches nothing. */
  unknownIp: '192.0.2.254',
} as const;

export const NOISY_EVENTS_PER_STATE = 150;

const V = SIMULATOR_VALUES;

/** Ten observables with events (active and historical) in this data set: 20 searches. */
export const TEN_OBSERVABLES_WITH_EVENTS: readonly { type: string; value: string }[] = [
  { type: 'md5', value: V.md5 },
  { type: 'sha256', value: V.sha256 },
  { type: 'file_name', value: V.fileName },
  { type: 'file_path', value: V.filePath },
  { type: 'ip', value: V.ip },
  { type: 'ip', value: V.localIp },
  { type: 'domain', value: V.domain },
  { type: 'mutex', value: V.mutex },
  { type: 'file_name', value: V.quotedFileName },
  { type: 'file_path', value: V.quotedFilePath },
];
const CUSTOMER_ID = 'c3d6a1e0-7f21-4b9a-9e55-2b8f0d4c6a11';

const FINANCE_LAPTOP: QualysAsset = {
  netBiosName: 'FIN-LT-0042',
  fullOSName: 'Microsoft Windows 10 Enterprise 22H2 64-bit N/A Build 19045',
  agentId: '9d0c2f4e-1b7a-4c38-a6e2-5f81d3b0c742',
  interfaces: [
    {
      ipAddress: V.localIp,
      macAddress: '00:50:56:a1:3c:07',
      hostname: 'fin-lt-0042.corp.example.com',
    },
  ],
};

/** Two interfaces, one of them public: `ip` is this server's local address. */
const DMZ_WEB_SERVER: QualysAsset = {
  netBiosName: 'DMZ-WEB01',
  fullOSName: 'Microsoft Windows Server 2019 Datacenter 64-bit Build 17763',
  agentId: '3e7b9a10-6c2d-4f85-b1e9-0a4d8c2f6e53',
  interfaces: [
    { ipAddress: V.ip, macAddress: '00:15:5d:0a:21:9f', hostname: 'web01.dmz.example.com' },
    {
      ipAddress: '10.0.8.15',
      macAddress: '00:15:5d:0a:21:a0',
      hostname: 'web01.internal.example.com',
    },
  ],
};

const HR_DESKTOP: QualysAsset = {
  netBiosName: 'HR-DT-0107',
  fullOSName: 'Microsoft Windows 11 Pro 23H2 64-bit Build 22631',
  agentId: 'b51f0e27-9a3c-4d6e-8f12-7c4a0e9d3b68',
  lastLoggedOnUser: 'CORP\\mlopez',
  interfaces: [
    {
      ipAddress: '10.12.9.107',
      macAddress: '3c:52:82:4f:90:1d',
      hostname: 'hr-dt-0107.corp.example.com',
    },
  ],
};

const BUILD_SERVER: QualysAsset = {
  netBiosName: 'LNX-BUILD-03',
  fullOSName: 'Ubuntu 22.04.4 LTS',
  agentId: '6a2e8d41-0f5b-4c97-93de-1b7f4a6c2e05',
  interfaces: [
    {
      ipAddress: '10.30.2.17',
      macAddress: '52:54:00:7b:1e:42',
      hostname: 'build-03.dev.example.com',
    },
  ],
};

const INVOICE_FILE = {
  fileName: V.fileName,
  fullPath: V.filePath,
  sha256: V.sha256,
  md5: V.md5,
  size: 482816,
};

const QUOTED_FILE = {
  fileName: V.quotedFileName,
  fullPath: V.quotedFilePath,
  sha256: 'b3a2bd470cb2c4f99e2421d9fa793a89f1b537b6a2447810c431b5a04e141529',
  md5: 'c771841f494f76ff9957878b66f9b5a8',
  size: 2210,
};

const INVOICE_PROCESS = { processName: V.fileName, pid: 7720, parentProcessName: 'explorer.exe' };

function eventId(n: number): string {
  return `5e1a7c01-0000-4000-8000-${n.toString().padStart(12, '0')}`;
}

/** Fields every real event carries that the relay does not use (it must ignore them). */
function common(n: number, dateTime: string): QualysEvent {
  return { id: eventId(n), dateTime, customerId: CUSTOMER_ID, eventSource: 'EDR' };
}

/** A single-file FILE event for the edge cases, which differ in one field each. */
function edgeCaseFile(n: number, fileName: string, sha256: string, md5: string): QualysEvent {
  return {
    ...common(n, `2024-05-16T0${n - 15}:30:00.000+0000`),
    type: 'FILE',
    action: 'Created',
    asset: HR_DESKTOP,
    file: {
      fileName,
      fullPath: `C:\\Users\\mlopez\\AppData\\Local\\Temp\\${fileName}`,
      sha256,
      md5,
      size: 1024 * n,
    },
    process: { processName: 'msedge.exe', pid: 6200 + n },
  };
}

const active = (event: QualysEvent): SimulatorEvent => ({ active: true, event });
const historical = (event: QualysEvent): SimulatorEvent => ({ active: false, event });

const BASE_EVENTS: SimulatorEvent[] = [
  // --- active: the invoice_2024.exe intrusion on the finance laptop -------------
  active({
    ...common(1, '2024-05-14T09:12:44.000+0000'),
    type: 'FILE',
    action: 'Created',
    score: '8',
    asset: FINANCE_LAPTOP,
    file: INVOICE_FILE,
    process: { processName: 'chrome.exe', pid: 9120 },
    indicator2: [
      { verdict: 'MALICIOUS', threatName: 'Trojan.GenericKD.46542', score: 8, category: 'Trojan' },
      // A second engine's opinion, its score a string: spec §7 allows both.
      { verdict: 'MALICIOUS', threatName: 'Win32/Emotet.AB', score: '9', category: 'Malware' },
    ],
  }),
  active({
    ...common(2, '2024-05-14T09:13:02.000+0000'),
    type: 'PROCESS',
    action: 'Running',
    score: '9',
    asset: FINANCE_LAPTOP,
    file: INVOICE_FILE,
    process: { ...INVOICE_PROCESS, arguments: '-k netsvcs' },
    indicator2: [
      { verdict: 'MALICIOUS', threatName: 'Win32/Emotet.AB', score: 9, category: 'Malware' },
    ],
  }),
  active({
    ...common(3, '2024-05-14T09:13:15.000+0000'),
    type: 'NETWORK',
    action: 'Connect',
    score: '10',
    asset: FINANCE_LAPTOP,
    process: INVOICE_PROCESS,
    network: {
      localIP: V.localIp,
      localPort: 49822,
      remoteIP: V.ip,
      remoteDns: V.domain,
      remotePort: 443,
      protocol: 'TCP',
    },
    indicator2: [
      {
        verdict: 'MALICIOUS',
        threatName: 'Emotet C2 communication',
        score: 10,
        category: 'Command and Control',
      },
    ],
  }),
  active({
    ...common(4, '2024-05-14T09:13:20.000+0000'),
    type: 'MUTEX',
    action: 'Create',
    score: '9',
    asset: FINANCE_LAPTOP,
    process: INVOICE_PROCESS,
    handle: { name: V.mutex, type: 'Mutant' },
    indicator2: [
      { verdict: 'MALICIOUS', threatName: 'Emotet mutex', score: 9, category: 'Malware' },
    ],
  }),
  active({
    ...common(5, '2024-05-14T10:41:07.000+0000'),
    type: 'NETWORK',
    action: 'Accept',
    score: '4',
    asset: DMZ_WEB_SERVER,
    process: { processName: 'w3wp.exe', pid: 3308 },
    network: {
      localIP: V.ip,
      localPort: 443,
      remoteIP: '198.51.100.200',
      remoteDns: 'scanner.example.org',
      remotePort: 51514,
      protocol: 'TCP',
    },
    indicator2: [
      {
        verdict: 'SUSPICIOUS',
        threatName: 'Inbound scan from known scanner',
        score: 4,
        category: 'Reconnaissance',
      },
    ],
  }),
  // --- active: other hosts ------------------------------------------------------
  active({
    ...common(6, '2024-05-15T08:00:12.000+0000'),
    type: 'FILE',
    action: 'Created',
    score: '0',
    asset: HR_DESKTOP,
    file: {
      fileName: 'notepad.exe',
      fullPath: 'C:\\Windows\\System32\\notepad.exe',
      sha256: V.cleanSha256,
      md5: '123402c04dcfb6625f688f771a5fc05d',
      size: 201216,
    },
    process: { processName: 'explorer.exe', pid: 4312 },
    indicator2: [
      { verdict: 'KNOWN', threatName: 'Microsoft Windows Notepad', score: 0, category: 'Clean' },
    ],
  }),
  active({
    ...common(7, '2024-05-15T08:04:51.000+0000'),
    type: 'PROCESS',
    action: 'Running',
    score: '6',
    asset: HR_DESKTOP,
    file: {
      fileName: 'powershell.exe',
      fullPath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      sha256: '86f51b17077aee2d7885528286a00aa632489cfee188cc99fbec881feb06dca7',
      md5: '2f2d399f0ea8844859fe5514b304733b',
      size: 452608,
    },
    process: {
      processName: 'powershell.exe',
      pid: 5512,
      arguments: '-nop -w hidden -enc SQBFAFgA',
    },
    indicator2: [
      {
        verdict: 'SUSPICIOUS',
        threatName: 'Encoded PowerShell command',
        score: 6,
        category: 'Execution',
      },
    ],
  }),
  active({
    ...common(8, '2024-05-15T13:27:33.000+0000'),
    type: 'FILE',
    action: 'Write',
    score: '3',
    asset: BUILD_SERVER,
    file: QUOTED_FILE,
    process: { processName: 'bash', pid: 2231 },
    indicator2: [
      {
        verdict: 'SUSPICIOUS',
        threatName: 'Suspicious shell script',
        score: 3,
        category: 'Execution',
      },
    ],
  }),
  // --- historical ---------------------------------------------------------------
  historical({
    ...common(9, '2024-04-02T16:45:10.000+0000'),
    type: 'FILE',
    action: 'Created',
    score: '5',
    asset: DMZ_WEB_SERVER,
    file: INVOICE_FILE,
    process: { processName: 'outlook.exe', pid: 2980 },
    indicator2: [
      { verdict: 'SUSPICIOUS', threatName: 'Suspicious.Packed', score: 5, category: 'Packer' },
    ],
  }),
  historical({
    ...common(10, '2024-04-03T07:02:19.000+0000'),
    type: 'FILE',
    action: 'Deleted',
    score: '1',
    asset: FINANCE_LAPTOP,
    file: INVOICE_FILE,
    process: { processName: 'QualysAgent.exe', pid: 1188 },
    indicator2: [
      { verdict: 'REMEDIATED', threatName: 'Trojan.GenericKD.46542', score: 1, category: 'Trojan' },
    ],
  }),
  historical({
    ...common(11, '2024-04-02T16:47:55.000+0000'),
    type: 'NETWORK',
    action: 'Connect',
    score: '7',
    asset: FINANCE_LAPTOP,
    process: INVOICE_PROCESS,
    network: {
      localIP: V.localIp,
      localPort: 50113,
      remoteIP: V.ip,
      remoteDns: V.domain,
      remotePort: 8443,
      protocol: 'TCP',
    },
    indicator2: [
      {
        verdict: 'SUSPICIOUS',
        threatName: 'Connection to newly registered domain',
        score: 7,
        category: 'Command and Control',
      },
    ],
  }),
  historical({
    ...common(12, '2024-03-28T22:10:03.000+0000'),
    type: 'NETWORK',
    action: 'Accept',
    score: '4',
    asset: DMZ_WEB_SERVER,
    process: { processName: 'svchost.exe', pid: 1044 },
    // No remoteDns: the Resolved_To relation must be left out.
    network: {
      localIP: V.ip,
      localPort: 3389,
      remoteIP: '198.51.100.31',
      remotePort: 60211,
      protocol: 'TCP',
    },
    indicator2: [
      {
        verdict: 'SUSPICIOUS',
        threatName: 'RDP brute force',
        score: '4',
        category: 'Credential Access',
      },
    ],
  }),
  historical({
    ...common(13, '2024-03-30T11:20:45.000+0000'),
    type: 'MUTEX',
    action: 'Create',
    score: '2',
    asset: HR_DESKTOP,
    process: { processName: 'svchost.exe', pid: 868 },
    handle: { name: V.mutex, type: 'Mutant' },
    indicator2: [
      { verdict: 'UNKNOWN', threatName: 'Unclassified mutex', score: 2, category: 'Unknown' },
    ],
  }),
  historical({
    ...common(14, '2024-03-30T11:22:09.000+0000'),
    type: 'PROCESS',
    action: 'Terminated',
    score: '3',
    asset: HR_DESKTOP,
    file: {
      fileName: 'rundll32.exe',
      fullPath: 'C:\\Windows\\System32\\rundll32.exe',
      sha256: '29fdefe98feb6ccf1607830920797de1369e1e74bd27180c04637993d95965e4',
      md5: '8895c8aa7c094a208a321749a41e1389',
      size: 71680,
    },
    process: { processName: 'rundll32.exe', pid: 7036 },
    indicator2: [
      {
        verdict: 'SUSPICIOUS',
        threatName: 'Rundll32 proxy execution',
        score: 3,
        category: 'Defense Evasion',
      },
    ],
  }),
  historical({
    ...common(15, '2024-04-10T05:55:31.000+0000'),
    type: 'FILE',
    action: 'Rename',
    score: '2',
    asset: BUILD_SERVER,
    file: QUOTED_FILE,
    process: { processName: 'mv', pid: 2230 },
    indicator2: [
      {
        verdict: 'SUSPICIOUS',
        threatName: 'Script dropped in home',
        score: 2,
        category: 'Execution',
      },
    ],
  }),
  // --- edge cases, each findable by its own SHA-256 (all active) -----------------
  active({
    ...edgeCaseFile(
      16,
      'updater_tmp.exe',
      V.missingScoreSha256,
      'ea21841da70e6405af19fabc4ff8bdd9',
    ),
    indicator2: [
      { verdict: 'SUSPICIOUS', threatName: 'Heuristic.Packed', score: '5', category: 'Packer' },
    ],
  }),
  active({
    ...edgeCaseFile(17, 'payload.dll', V.numericScoreSha256, '49057168d24dc9566533ec48326ced2c'),
    score: 8,
    indicator2: [
      {
        verdict: 'MALICIOUS',
        threatName: 'Backdoor.Cobalt.Beacon',
        score: 8,
        category: 'Backdoor',
      },
    ],
  }),
  active({
    ...edgeCaseFile(18, 'helper.js', V.noIndicator2Sha256, '2bba00fcdb4b6a3b0c6a7302f8ef8a86'),
    score: '6',
  }),
  active({
    ...edgeCaseFile(
      19,
      'toolbar_setup.exe',
      V.emptyIndicator2Sha256,
      'e8e11694d4ca4ea25fd36a64beee83b3',
    ),
    score: '2',
    indicator2: [],
  }),
  active({
    ...edgeCaseFile(
      20,
      'kiosk_patch.msi',
      V.noInterfacesSha256,
      '0270a35565db3468429613b581e524fe',
    ),
    score: '5',
    asset: { netBiosName: 'KIOSK-07', fullOSName: 'Microsoft Windows 10 IoT Enterprise LTSC 2021' },
    indicator2: [{ verdict: 'SUSPICIOUS', threatName: 'Unsigned installer', score: 5 }],
  }),
  active({
    ...withoutAsset(
      edgeCaseFile(21, 'orphan.bin', V.noAssetSha256, '8f8716d084bf74dd5fd21474f2a8a36d'),
    ),
    score: '7',
    indicator2: [{ verdict: 'SUSPICIOUS', threatName: 'Orphaned binary', score: 7 }],
  }),
  active({
    ...edgeCaseFile(
      22,
      'bundle_installer.exe',
      V.unknownVerdictSha256,
      '8f4148bb8c976276e558095ba02929cd',
    ),
    score: '5',
    indicator2: [
      {
        verdict: 'POTENTIALLY_UNWANTED',
        threatName: 'PUA.Win32.BundleInstaller',
        score: '4',
        category: 'PUA',
      },
      { score: 3, category: 'Heuristic' },
    ],
  }),
  active({
    ...edgeCaseFile(23, 'vendor_agent.exe', V.disputedSha256, '6c1e0f3a9b8d7c2e4f5a6b7c8d9e0f1a'),
    score: '5',
    indicator2: [
      { verdict: 'SUSPICIOUS', threatName: 'Heuristic.Dropper', score: 5, category: 'Dropper' },
      { verdict: 'KNOWN', threatName: 'Signed vendor agent', score: 0, category: 'Clean' },
    ],
  }),
];

function withoutAsset(event: QualysEvent): QualysEvent {
  const { asset: _asset, ...rest } = event;
  return rest;
}

/** Qualys's timestamp format: milliseconds and a `+0000` offset instead of `Z`. */
function qualysTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+0000');
}

const NOISY_HOSTS = [HR_DESKTOP, BUILD_SERVER, DMZ_WEB_SERVER];
const MINUTE = 60_000;

/** 150 active + 150 historical FILE events sharing one SHA-256 (entity-limit tests). */
function noisyFileEvents(): SimulatorEvent[] {
  return [true, false].flatMap((isActive) =>
    Array.from({ length: NOISY_EVENTS_PER_STATE }, (_, i) => ({
      active: isActive,
      event: {
        id: `f11e000${isActive ? 1 : 2}-0000-4000-8000-${i.toString().padStart(12, '0')}`,
        dateTime: qualysTime(Date.UTC(2024, isActive ? 4 : 3, 1) + i * 7 * MINUTE),
        customerId: CUSTOMER_ID,
        type: 'FILE',
        action: i % 2 === 0 ? 'Created' : 'Write',
        score: ['2', '5', '8'][i % 3],
        asset: NOISY_HOSTS[i % NOISY_HOSTS.length],
        file: {
          fileName: 'svc_update.exe',
          fullPath: 'C:\\ProgramData\\SvcUpdate\\svc_update.exe',
          sha256: V.noisySha256,
          md5: '5f2bc8db49c998db9503b97f3c005f25',
          size: 98304,
        },
        process: { processName: 'svchost.exe', pid: 3000 + i },
        indicator2: [
          { verdict: 'SUSPICIOUS', threatName: 'Generic.Dropper', score: ['2', '5', '8'][i % 3] },
        ],
      },
    })),
  );
}

/** 150 active + 150 historical NETWORK events to one remote IP (entity-limit tests). */
function noisyNetworkEvents(): SimulatorEvent[] {
  // Local addresses avoid `localIp` and `ip`, so only `noisyIp` is noisy.
  const localIps = ['10.12.9.107', '10.30.2.17'];
  return [true, false].flatMap((isActive) =>
    Array.from({ length: NOISY_EVENTS_PER_STATE }, (_, i) => ({
      active: isActive,
      event: {
        id: `0e7a000${isActive ? 1 : 2}-0000-4000-8000-${i.toString().padStart(12, '0')}`,
        dateTime: qualysTime(Date.UTC(2024, isActive ? 4 : 3, 2) + i * 5 * MINUTE),
        customerId: CUSTOMER_ID,
        type: 'NETWORK',
        action: 'Connect',
        score: ['4', '7', '10'][i % 3],
        asset: i % 2 === 0 ? HR_DESKTOP : BUILD_SERVER,
        process: { processName: 'beacon.exe', pid: 4000 + i },
        network: {
          localIP: localIps[i % 2],
          localPort: 40000 + i,
          remoteIP: V.noisyIp,
          remotePort: 8080,
          protocol: 'TCP',
        },
        indicator2: [{ verdict: 'SUSPICIOUS', threatName: 'Periodic beaconing', score: 4 }],
      },
    })),
  );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Every built-in event with its active flag. Frozen: the assets and files are
 * shared between events, and a test mutating one must not change the others.
 */
export const SIMULATOR_EVENTS: readonly SimulatorEvent[] = deepFreeze([
  ...BASE_EVENTS,
  ...noisyFileEvents(),
  ...noisyNetworkEvents(),
]);

/**
 * Values of `UNATTRIBUTABLE_EVENTS`: hashes that sit where the relay does not
 * attribute events by (spec §12), so that batched searches must fall back
 * to searching them alone.
 */
export const UNATTRIBUTABLE_VALUES = {
  /** The file.sha256 of the event whose verdict names `verdictOnlySha256`: 1 active + 1 historical. */
  carrierSha256: '4c1f0b7e9d2a3c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6',
  /** Only in `indicator2[].sha256` of the carrier's events, never in `file.sha256`. */
  verdictOnlySha256: '9e8d7c6b5a49382716f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f',
  /** Written in upper case in `file.sha256` of its events (searched in lower case): 1 active + 1 historical. */
  upperCaseSha256: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
  /** The md5 of those upper-case events, in lower case as usual. */
  upperCaseFileMd5: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
} as const;

const U = UNATTRIBUTABLE_VALUES;

function unattributable(
  n: number,
  active: boolean,
  file: Record<string, unknown>,
  verdictSha256?: string,
): SimulatorEvent {
  return {
    active,
    event: {
      ...common(900 + n, `2024-05-20T0${n}:00:00.000+0000`),
      type: 'FILE',
      action: 'Created',
      score: '6',
      asset: BUILD_SERVER,
      file: {
        fileName: `dropper_${n}.bin`,
        fullPath: `/tmp/dropper_${n}.bin`,
        size: 4096,
        ...file,
      },
      process: { processName: 'sh', pid: 7100 + n },
      indicator2: [
        {
          verdict: 'SUSPICIOUS',
          threatName: 'Dropper.Generic',
          score: 6,
          ...(verdictSha256 === undefined ? {} : { sha256: verdictSha256 }),
        },
      ],
    },
  };
}

/**
 * Events the relay cannot attribute by field (spec §12): a hash only in a
 * verdict's `sha256`, and a hash in upper case. Not in `SIMULATOR_EVENTS`;
 * `--with-unattributable-events` (or the `events` option) adds them, with
 * hash filters matched loosely so Qualys returns them for those hashes too.
 */
export const UNATTRIBUTABLE_EVENTS: readonly SimulatorEvent[] = deepFreeze([
  unattributable(
    1,
    true,
    { sha256: U.carrierSha256, md5: '5d41402abc4b2a76b9719d911017c592' },
    U.verdictOnlySha256,
  ),
  unattributable(
    2,
    false,
    { sha256: U.carrierSha256, md5: '5d41402abc4b2a76b9719d911017c592' },
    U.verdictOnlySha256,
  ),
  unattributable(3, true, { sha256: U.upperCaseSha256.toUpperCase(), md5: U.upperCaseFileMd5 }),
  unattributable(4, false, { sha256: U.upperCaseSha256.toUpperCase(), md5: U.upperCaseFileMd5 }),
]);
