import { isIP } from 'node:net';

/**
 * Spec §15 "What the relay emits is what it says it is": the rules a value
 * from a Qualys event must meet before it is emitted as an observable of a
 * type (a sighting's targets and relations). Every check is linear in the
 * value and bounded by its length first.
 */
export type EmittedObservableType =
  'ip' | 'mac_address' | 'hostname' | 'sha256' | 'md5' | 'domain' | 'file_name' | 'file_path';

/** The longest textual IPv6 address (an IPv4 tail included) is 45 characters. */
const MAX_IP_LENGTH = 45;

/** Six hex pairs, all joined by `:` or all by `-`. */
const MAC_ADDRESS = /^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}$/;

const MAX_HOSTNAME_CHARACTERS = 253;
/**
 * What a hostname never holds: whitespace, control characters, the
 * bidirectional controls (ALM, LRM, RLM, the embeddings and overrides, the
 * isolates) and the characters Windows forbids in names.
 */
const NOT_IN_HOSTNAME = /[\s\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\\/:*?"<>|]/u;

const SHA256 = /^[0-9A-Fa-f]{64}$/;
const MD5 = /^[0-9A-Fa-f]{32}$/;

const MAX_DOMAIN_LENGTH = 253;
/**
 * A label of letters, digits and hyphens, or its Unicode form (letters,
 * combining marks and digits of any script), 1 to 63 characters.
 */
const DOMAIN_LABEL = /^[\p{L}\p{M}\p{N}-]{1,63}$/u;

/** CTIM's short-string limit (shared/docs/ctim.md "Formats"). */
const MAX_FILE_TEXT_LENGTH = 1024;

/** Whether `value` is valid for an observable of `type`. */
export function isValidObservableValue(type: EmittedObservableType, value: string): boolean {
  switch (type) {
    case 'ip':
      // A zone id (`fe80::1%eth0`) names an interface of the host that saw it, not an address.
      return value.length <= MAX_IP_LENGTH && !value.includes('%') && isIP(value) !== 0;
    case 'mac_address':
      return MAC_ADDRESS.test(value);
    case 'hostname':
      return isHostname(value);
    case 'sha256':
      return SHA256.test(value);
    case 'md5':
      return MD5.test(value);
    case 'domain':
      return isDomain(value);
    case 'file_name':
    case 'file_path':
      return value.length >= 1 && value.length <= MAX_FILE_TEXT_LENGTH;
  }
}

function isHostname(value: string): boolean {
  // 253 code points are at most 506 UTF-16 code units: count only what may fit.
  if (value.length === 0 || value.length > 2 * MAX_HOSTNAME_CHARACTERS) return false;
  return Array.from(value).length <= MAX_HOSTNAME_CHARACTERS && !NOT_IN_HOSTNAME.test(value);
}

function isDomain(value: string): boolean {
  if (value.length === 0 || value.length > MAX_DOMAIN_LENGTH) return false;
  return value.split('.').every((label) => DOMAIN_LABEL.test(label));
}
