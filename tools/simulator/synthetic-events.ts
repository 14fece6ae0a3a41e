import { createHash } from 'node:crypto';
import type { QualysEvent } from '../../src/qualys/qualys-event.js';

/**
 * Full pages on demand (`--events-per-search N`): every search answers
 * min(N, page size) FILE events instead of the data set's matches, each
 * with an id of its own (per filter, state and position), so no two
 * observables of a request share an indicator. The events weigh what real
 * ones do (asset with an interface, file, process, verdicts): the hostile
 * load tests and the bench measure the relay under answers of that size.
 */
export function syntheticEventsJson(filter: string, active: boolean, count: number): string {
  const tag = createHash('sha256').update(`${active ? 'active' : 'historical'}\0${filter}`);
  const prefix = tag.digest('hex').slice(0, 8);
  const events: string[] = [];
  for (let i = 0; i < count; i++) events.push(JSON.stringify(syntheticEvent(prefix, active, i)));
  return `[${events.join(',')}]`;
}

function syntheticEvent(prefix: string, active: boolean, i: number): QualysEvent {
  const n = i.toString().padStart(12, '0');
  const host = `WS-${prefix.slice(0, 4).toUpperCase()}-${(i % 250).toString().padStart(4, '0')}`;
  return {
    id: `${prefix}-0000-4000-8000-${n}`,
    dateTime: new Date(Date.UTC(2024, active ? 4 : 3, 1) + i * 60_000)
      .toISOString()
      .replace('Z', '+0000'),
    customerId: 'c3d6a1e0-7f21-4b9a-9e55-2b8f0d4c6a11',
    eventSource: 'EDR',
    type: 'FILE',
    action: i % 2 === 0 ? 'Created' : 'Write',
    score: String(1 + (i % 10)),
    asset: {
      netBiosName: host,
      fullOSName: 'Microsoft Windows 10 Enterprise 22H2 64-bit N/A Build 19045',
      agentId: `${prefix}-1b7a-4c38-a6e2-${n}`,
      lastLoggedOnUser: `CORP\\user${i % 97}`,
      interfaces: [
        {
          ipAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          macAddress: `00:50:56:${hex(i >> 16)}:${hex(i >> 8)}:${hex(i)}`,
          hostname: `${host.toLowerCase()}.corp.example.com`,
        },
      ],
    },
    file: {
      fileName: `payload_${prefix}_${i}.exe`,
      fullPath: `C:\\Users\\user${i % 97}\\AppData\\Local\\Temp\\payload_${prefix}_${i}.exe`,
      sha256: createHash('sha256').update(`${prefix}${i}`).digest('hex'),
      md5: createHash('md5').update(`${prefix}${i}`).digest('hex'),
      size: 4096 + i,
    },
    process: { processName: 'explorer.exe', pid: 1000 + (i % 60_000) },
    indicator2: [{ verdict: 'MALICIOUS', threatName: 'Trojan.Generic', score: String(i % 10) }],
  };
}

function hex(n: number): string {
  return (n & 255).toString(16).padStart(2, '0');
}
