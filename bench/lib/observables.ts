import { createHash } from 'node:crypto';
import { SIMULATOR_VALUES as V } from '../../tools/simulator/dataset.js';

/** Observables with known events first, then distinct SHA-256s that match nothing. */
export function observables(n: number): { type: string; value: string }[] {
  const known = [
    { type: 'md5', value: V.md5 },
    { type: 'sha256', value: V.sha256 },
    { type: 'ip', value: V.ip },
    { type: 'domain', value: V.domain },
    { type: 'mutex', value: V.mutex },
    { type: 'file_name', value: V.fileName },
    { type: 'file_path', value: V.filePath },
    { type: 'ip', value: V.localIp },
    { type: 'file_name', value: V.quotedFileName },
    { type: 'sha256', value: V.cleanSha256 },
  ];
  const unknown = (i: number) => ({
    type: 'sha256',
    value: createHash('sha256').update(`bench-${i}`).digest('hex'),
  });
  return Array.from({ length: n }, (_, i) => known[i] ?? unknown(i));
}

/** An answer the relay may give: 200, JSON, `data` and no `errors`. */
export function isCleanData(status: number, text: string): boolean {
  if (status !== 200) return false;
  try {
    const body = JSON.parse(text) as { data?: unknown; errors?: unknown };
    return typeof body.data === 'object' && body.data !== null && body.errors === undefined;
  } catch {
    return false;
  }
}
