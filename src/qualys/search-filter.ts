import type { SupportedObservable, SupportedObservableType } from '../common/observable.js';

/**
 * Spec §4: a value goes inside double quotes with `"` and `\` escaped, so no
 * observable value can close the quote and change the query.
 */
export function quoteFilterValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

const FILTER_FIELDS: Readonly<Record<SupportedObservableType, readonly string[]>> = {
  md5: ['file.hash.md5'],
  sha256: ['file.hash.sha256'],
  file_name: ['file.name'],
  file_path: ['file.fullPath'],
  ip: ['network.local.address.ip', 'network.remote.address.ip'],
  domain: ['network.remote.address.fqdn'],
  mutex: ['handle.name'],
};

/** The Qualys IOC search filter for one observable (spec §4). */
export function buildSearchFilter(observable: SupportedObservable): string {
  const value = quoteFilterValue(observable.value);
  return FILTER_FIELDS[observable.type].map((field) => `${field}: ${value}`).join(' or ');
}
