/**
 * A Qualys IOC event as `GET /ioc/events` returns it (spec §7). Qualys types
 * these loosely: every field may be missing, `score` is a string or a number,
 * and unknown fields appear. Mappers must treat all of it as untrusted.
 */
export interface QualysEvent {
  id?: unknown;
  dateTime?: unknown;
  type?: unknown; // FILE, PROCESS, NETWORK, MUTEX …
  action?: unknown;
  score?: unknown; // "0".."10", a number, or absent
  asset?: QualysAsset | null;
  file?: QualysFile | null;
  process?: QualysProcess | null;
  network?: QualysNetwork | null;
  handle?: QualysHandle | null;
  indicator2?: QualysIndicator2[] | null;
  [unknownField: string]: unknown;
}

export interface QualysAsset {
  netBiosName?: unknown;
  fullOSName?: unknown;
  interfaces?: { ipAddress?: unknown; macAddress?: unknown; [k: string]: unknown }[] | null;
  [k: string]: unknown;
}

export interface QualysFile {
  fileName?: unknown;
  fullPath?: unknown;
  sha256?: unknown;
  md5?: unknown;
  [k: string]: unknown;
}

export interface QualysProcess {
  processName?: unknown;
  [k: string]: unknown;
}

export interface QualysNetwork {
  localIP?: unknown;
  remoteIP?: unknown;
  remoteDns?: unknown;
  [k: string]: unknown;
}

export interface QualysHandle {
  name?: unknown;
  [k: string]: unknown;
}

export interface QualysIndicator2 {
  verdict?: unknown; // KNOWN, MALICIOUS, REMEDIATED, SUSPICIOUS, UNKNOWN …
  threatName?: unknown;
  score?: unknown;
  [k: string]: unknown;
}
