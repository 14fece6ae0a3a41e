import { isIP } from 'node:net';
import type { SupportedObservable, SupportedObservableType } from '../../common/observable.js';

/**
 * Spec §12: exact types are attributed event by event through the field their
 * filter searches; contains types (Qualys matches them inside longer values)
 * are only probed, never attributed.
 */
export type BatchKind = 'exact' | 'contains';

export type ExactType = 'md5' | 'sha256' | 'ip';

const HEX_LENGTH: Readonly<Record<'md5' | 'sha256', number>> = { md5: 32, sha256: 64 };
const HEX = /^[0-9a-fA-F]+$/;
/** `::ffff:a.b.c.d` as the URL parser writes it. */
const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

export function batchKindOf(type: SupportedObservableType): BatchKind {
  return isExactType(type) ? 'exact' : 'contains';
}

export function isExactType(type: SupportedObservableType): type is ExactType {
  return type === 'md5' || type === 'sha256' || type === 'ip';
}

/** Spec §12: hashes compare in lower case. Undefined when the text is not hex of the type's length. */
export function normaliseHash(type: 'md5' | 'sha256', text: string): string | undefined {
  return text.length === HEX_LENGTH[type] && HEX.test(text) ? text.toLowerCase() : undefined;
}

/**
 * Spec §12: an address in one written form — IPv6 in its compressed lower-case
 * form (as the URL parser writes it), `::ffff:a.b.c.d` as `a.b.c.d`. Undefined
 * when the text is not an address (a zone id is not one either).
 */
export function normaliseIp(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6 || text.includes('%')) return undefined;
  // `new URL` compresses and lower-cases IPv6 (RFC 5952), and writes a dotted tail in hex.
  const written = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = MAPPED_IPV4.exec(written);
  if (mapped === null) return written;
  const high = parseInt(mapped[1], 16);
  const low = parseInt(mapped[2], 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** An exact observable's value in its one written form; undefined when it does not parse as its type. */
export function normaliseExactValue(type: ExactType, value: string): string | undefined {
  return type === 'ip' ? normaliseIp(value) : normaliseHash(type, value);
}

/** The observables of a request that may share a batched search, and those searched alone. */
export interface BatchCandidates {
  /** Indexes into the request's observables, in request order. */
  batchable: number[];
  /** Values that do not parse as their type, and observables equal to another after normalisation. */
  alone: number[];
}

/**
 * Spec §12 "Who is batched": an exact observable whose value does not parse,
 * and every observable equal to another of the request after normalisation
 * (all of them, not only the later ones), are searched alone.
 */
export function batchCandidates(observables: readonly SupportedObservable[]): BatchCandidates {
  const keys = observables.map((observable) => comparisonKey(observable));
  const counts = new Map<string, number>();
  for (const key of keys) if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  const batchable: number[] = [];
  const alone: number[] = [];
  keys.forEach((key, index) => {
    if (key === undefined || (counts.get(key) ?? 0) > 1) alone.push(index);
    else batchable.push(index);
  });
  return { batchable, alone };
}

/** What two observables of one request are equal by (spec §12); undefined when the value does not parse. */
function comparisonKey({ type, value }: SupportedObservable): string | undefined {
  if (!isExactType(type)) return `${type}\0${value}`;
  const normalised = normaliseExactValue(type, value);
  return normalised === undefined ? undefined : `${type}\0${normalised}`;
}
