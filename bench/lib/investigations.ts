/**
 * The investigations of the "calls per investigation" bench part and the
 * Qualys events the simulator serves for them: deterministic (values derived
 * from fixed names, fixed times), so every run asks the same questions and
 * gets the same answers.
 *
 * Events are shaped as Qualys sends them (asset, file or network block,
 * verdicts), and an event carries an investigation's value only in the field
 * that observable's filter searches (a hash in `file.sha256`/`file.md5` and
 * again in `indicator2[].sha256`, as real ones do; an IP in
 * `network.remoteIP`/`localIP`), so batched searches can settle them.
 */
import { createHash } from 'node:crypto';
import type { QualysEvent } from '../../src/qualys/qualys-event.js';
import type { SimulatorEvent } from '../../tools/simulator/dataset.js';

export interface BenchObservable {
  type: 'sha256' | 'md5' | 'ip' | 'domain' | 'file_name';
  value: string;
}

export interface Investigation {
  key: 'mix35' | 'empty50' | 'hits10';
  label: string;
  observables: BenchObservable[];
  /** How many of them Qualys has events for. */
  seen: number;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** Observables of one type, values derived from `prefix` (distinct across investigations). */
function make(prefix: string, type: BenchObservable['type'], count: number): BenchObservable[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `${prefix}-${type}-${i}`;
    switch (type) {
      case 'sha256':
        return { type, value: sha256(name) };
      case 'md5':
        return { type, value: md5(name) };
      case 'ip': {
        // 198.18.0.0/15, the benchmarking range (RFC 2544): never a real host.
        const block = { mix: 1, empty: 2, hits: 3 }[prefix] ?? 0;
        return { type, value: `198.18.${block}.${i + 1}` };
      }
      case 'domain':
        return { type, value: `${prefix}-host-${i}.bench-c2.example` };
      case 'file_name':
        return { type, value: `${prefix}-tool-${i}.exe` };
    }
  });
}

function mix(prefix: string, counts: Record<BenchObservable['type'], number>): BenchObservable[] {
  return (Object.keys(counts) as BenchObservable['type'][]).flatMap((type) =>
    make(prefix, type, counts[type]),
  );
}

/** The issue's investigation: 10 SHA-256, 5 MD5, 5 IPs, 10 domains, 5 file names; 3 exact ones seen. */
const MIX_35 = mix('mix', { sha256: 10, md5: 5, ip: 5, domain: 10, file_name: 5 });
/** 50 observables nobody has seen, the same types in the same proportions. */
const EMPTY_50 = mix('empty', { sha256: 15, md5: 7, ip: 7, domain: 14, file_name: 7 });
/** 10 observables, every one with active and historical events. */
const HITS_10 = mix('hits', { sha256: 2, md5: 2, ip: 2, domain: 2, file_name: 2 });

const byType = (list: BenchObservable[], type: BenchObservable['type']) =>
  list.filter((o) => o.type === type);
/** The observables of the 35-mix that Qualys has seen: one SHA-256, one MD5, one IP. */
const MIX_SEEN = [byType(MIX_35, 'sha256')[3], byType(MIX_35, 'md5')[1], byType(MIX_35, 'ip')[2]];

export const INVESTIGATIONS: readonly Investigation[] = [
  { key: 'mix35', label: '35-observable mix', observables: MIX_35, seen: MIX_SEEN.length },
  { key: 'empty50', label: 'all-empty 50', observables: EMPTY_50, seen: 0 },
  { key: 'hits10', label: 'all-hits 10', observables: HITS_10, seen: HITS_10.length },
];

const CUSTOMER_ID = 'c3d6a1e0-7f21-4b9a-9e55-2b8f0d4c6a11';
let eventNumber = 0;

function asset(n: number): QualysEvent['asset'] {
  return {
    netBiosName: `BENCH-WS-${String(n).padStart(3, '0')}`,
    fullOSName: 'Microsoft Windows 10 Enterprise 22H2 64-bit N/A Build 19045',
    agentId: `${sha256(`agent-${n}`).slice(0, 8)}-1b7a-4c38-a6e2-${String(n).padStart(12, '0')}`,
    lastLoggedOnUser: `CORP\\analyst${n}`,
    interfaces: [
      {
        ipAddress: `10.77.${n >> 8}.${n & 255}`,
        macAddress: `00:50:56:a1:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`,
        hostname: `bench-ws-${n}.corp.example.com`,
      },
    ],
  };
}

function base(n: number, active: boolean): QualysEvent {
  const minutes = n * 7;
  return {
    id: `b3c4a11d-0000-4000-8000-${String(n).padStart(12, '0')}`,
    dateTime: new Date(Date.UTC(2024, active ? 5 : 2, 1, 8) + minutes * 60_000)
      .toISOString()
      .replace('Z', '+0000'),
    customerId: CUSTOMER_ID,
    eventSource: 'EDR',
    score: String(5 + (n % 5)),
    asset: asset(n),
  };
}

/** A FILE event of a file with these hashes and name (the other fields derived from its name). */
function fileEvent(
  active: boolean,
  file: { sha256: string; md5: string; fileName: string },
): SimulatorEvent {
  const n = ++eventNumber;
  return {
    active,
    event: {
      ...base(n, active),
      type: 'FILE',
      action: n % 2 === 0 ? 'Created' : 'Write',
      file: {
        ...file,
        fullPath: `C:\\Users\\analyst${n}\\AppData\\Local\\Temp\\${file.fileName}`,
        size: 40_960 + n,
      },
      process: { processName: 'explorer.exe', pid: 4000 + n },
      indicator2: [
        { verdict: 'MALICIOUS', threatName: 'Trojan.Bench', score: 8, sha256: file.sha256 },
      ],
    },
  };
}

/** A NETWORK event from a workstation to `remote` (an IP and, when given, its name). */
function networkEvent(
  active: boolean,
  remote: { ip: string; dns?: string },
  local?: string,
): SimulatorEvent {
  const n = ++eventNumber;
  const event = base(n, active);
  return {
    active,
    event: {
      ...event,
      type: 'NETWORK',
      action: 'Connect',
      process: { processName: 'rundll32.exe', pid: 5000 + n },
      network: {
        localIP: local ?? `10.77.${n >> 8}.${n & 255}`,
        localPort: 49_000 + n,
        remoteIP: remote.ip,
        ...(remote.dns === undefined ? {} : { remoteDns: remote.dns }),
        remotePort: 443,
        protocol: 'TCP',
      },
      indicator2: [{ verdict: 'SUSPICIOUS', threatName: 'Beacon.Bench', score: 6 }],
    },
  };
}

/** A file the investigation does not name, so only `hash` of it is in the request. */
const otherFile = (name: string) => ({
  sha256: sha256(`file-${name}`),
  md5: md5(`file-${name}`),
  fileName: `${name.replace(/[^a-z0-9]/gi, '')}.bin`,
});

/** Events for one observable that Qualys has seen: `active` active and `historical` historical ones. */
function eventsFor(o: BenchObservable, active: number, historical: number): SimulatorEvent[] {
  const one = (isActive: boolean, k: number): SimulatorEvent => {
    const tag = `${o.value}-${k}`;
    switch (o.type) {
      case 'sha256':
        return fileEvent(isActive, { ...otherFile(tag), sha256: o.value });
      case 'md5':
        return fileEvent(isActive, { ...otherFile(tag), md5: o.value });
      case 'file_name':
        return fileEvent(isActive, { ...otherFile(tag), fileName: o.value });
      case 'ip':
        // Seen as the remote end of one connection and as the local end of another.
        return k % 2 === 0
          ? networkEvent(isActive, { ip: o.value })
          : networkEvent(isActive, { ip: `203.0.113.${10 + k}` }, o.value);
      case 'domain':
        return networkEvent(isActive, { ip: `203.0.113.${100 + k}`, dns: o.value });
    }
  };
  return [
    ...Array.from({ length: active }, (_, k) => one(true, k)),
    ...Array.from({ length: historical }, (_, k) => one(false, active + k)),
  ];
}

/**
 * The simulator's data set: events for the seen observables, plus background
 * events (other files and hosts) that no investigation asks about, so an
 * answer is never the whole data set.
 */
export function investigationEvents(): SimulatorEvent[] {
  eventNumber = 0;
  const background = Array.from({ length: 40 }, (_, i) =>
    i % 2 === 0
      ? fileEvent(i % 4 === 0, otherFile(`background-${i}`))
      : networkEvent(i % 4 === 1, {
          ip: `203.0.113.${200 + (i % 50)}`,
          dns: `cdn${i}.example.org`,
        }),
  );
  return [
    ...MIX_SEEN.flatMap((o, i) => eventsFor(o, 2 - (i % 2), 1 + (i % 2))),
    ...HITS_10.flatMap((o, i) => eventsFor(o, 1 + (i % 3), 1 + ((i + 1) % 2))),
    ...background,
  ];
}
