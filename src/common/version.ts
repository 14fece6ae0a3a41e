import { readFileSync } from 'node:fs';

/**
 * The package version, read once from package.json two levels up — the same
 * relative place from `src/common` (tests) and `dist/common` (production).
 */
function readVersion(): string {
  const raw = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const { version } = JSON.parse(raw) as { version?: unknown };
  return typeof version === 'string' ? version : '0.0.0';
}

export const RELAY_VERSION = readVersion();
