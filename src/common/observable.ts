/** An observable as Threat Response sends it and CTIM carries it. */
export interface Observable {
  type: string;
  value: string;
}

/** Spec §4: the observable types the relay can search Qualys for. */
export const SUPPORTED_OBSERVABLE_TYPES = [
  'md5',
  'sha256',
  'file_name',
  'file_path',
  'ip',
  'domain',
  'mutex',
] as const;

export type SupportedObservableType = (typeof SUPPORTED_OBSERVABLE_TYPES)[number];

/** Spec §4: how each type reads in a sentence ("Search for this <name>"). */
export const OBSERVABLE_TYPE_NAMES: Readonly<Record<SupportedObservableType, string>> = {
  md5: 'MD5',
  sha256: 'SHA256',
  file_name: 'file name',
  file_path: 'file path',
  ip: 'IP',
  domain: 'domain',
  mutex: 'mutex',
};

const supported: ReadonlySet<string> = new Set(SUPPORTED_OBSERVABLE_TYPES);

export function isSupportedObservableType(type: string): type is SupportedObservableType {
  return supported.has(type);
}

export interface SupportedObservable extends Observable {
  type: SupportedObservableType;
}

/**
 * The supported observables of a request, in order, each once. Spec §2:
 * types outside §4 are skipped silently.
 */
export function uniqueSupportedObservables(
  observables: readonly Observable[],
): SupportedObservable[] {
  const seen = new Set<string>();
  const unique: SupportedObservable[] = [];
  for (const { type, value } of observables) {
    if (!isSupportedObservableType(type)) continue;
    const key = `${type}\0${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push({ type, value });
  }
  return unique;
}
