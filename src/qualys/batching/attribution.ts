import type { QualysEvent } from '../qualys-event.js';
import { normaliseIp, type ExactType } from './batch-kinds.js';

/** An exact observable of a batch: its value as sent, and in its one written form. */
export interface ExactValue {
  type: ExactType;
  value: string;
  normalised: string;
}

/** What one answer's events say about each observable of its batch (spec §12). */
export interface Attribution {
  /** Per observable of the batch, the indexes of the events that match it, in answer order. */
  matched: number[][];
  /**
   * Per observable: an event that does not match it carries its value
   * (another field or form). Not read, all false, when an event is unmatched.
   */
  carried: boolean[];
  /** Events that match no observable of the batch. */
  unmatched: number;
  /** The `type` of the first unmatched event, when it is a short string (for the log; never a value). */
  unmatchedType: string | undefined;
}

/**
 * How much of one event is scanned for values it carries: past these bounds
 * the event counts as carrying every value, so an observable is never
 * settled by what was not read (spec §15: bounded scans of untrusted text).
 */
const MAX_SCANNED_CHARS = 64 * 1024;
const MAX_SCANNED_NODES = 2048;

/**
 * Spec §12: an event matches an exact observable when the field its filter
 * searches holds exactly the observable's value (md5 `file.md5`, sha256
 * `file.sha256`, ip `network.localIP` or `network.remoteIP`); it carries the
 * observable's value when any string of it, read as a hash or an address,
 * equals the observable's normalised value.
 */
export function attribute(
  events: readonly QualysEvent[],
  batch: readonly ExactValue[],
): Attribution {
  const matched = batch.map((): number[] => []);
  const carried = batch.map(() => false);
  let unmatched = 0;
  let unmatchedType: string | undefined;
  events.forEach((event, index) => {
    let matchesAny = false;
    batch.forEach((observable, position) => {
      if (!matches(event, observable)) return;
      matched[position].push(index);
      matchesAny = true;
    });
    if (!matchesAny) {
      unmatched++;
      unmatchedType ??= loggableType(event.type);
    }
  });
  // An unmatched event sends every observable alone (settling.ts): then what
  // the events carry does not matter, and a hostile full page is not scanned.
  if (unmatched > 0) return { matched, carried, unmatched, unmatchedType };
  events.forEach((event) => {
    let carriedValues: CarriedValues | undefined;
    batch.forEach((observable, position) => {
      if (carried[position] || matches(event, observable)) return;
      carriedValues ??= carriedValuesOf(event);
      if (carriedValues === 'all' || carriedValues.has(observable.normalised)) {
        carried[position] = true;
      }
    });
  });
  return { matched, carried, unmatched, unmatchedType };
}

export function matches(event: QualysEvent, { type, value }: ExactValue): boolean {
  if (type === 'ip') return event.network?.localIP === value || event.network?.remoteIP === value;
  return event.file?.[type] === value;
}

/** The hashes (lower case) and addresses (normalised) found in an event's strings; 'all' past the scan bounds. */
type CarriedValues = ReadonlySet<string> | 'all';

const HEX_CHAR = /[0-9a-fA-F]/;
const ADDRESS_CHAR = /[0-9a-fA-F:.]/;
const DOTTED_QUAD = /\d{1,3}(?:\.\d{1,3}){3}/g;
const PORT_SUFFIX = /:\d{1,5}$/;
/** Event types are words such as FILE or NETWORK; anything else is not logged. */
const LOGGABLE_TYPE = /^[A-Za-z_]{1,32}$/;

export function carriedValuesOf(event: QualysEvent): CarriedValues {
  const values = new Set<string>();
  const stack: unknown[] = [event];
  let nodes = 0;
  let chars = 0;
  while (stack.length > 0) {
    const node = stack.pop();
    if (++nodes > MAX_SCANNED_NODES) return 'all';
    if (typeof node === 'string') {
      chars += node.length;
      if (chars > MAX_SCANNED_CHARS) return 'all';
      addValuesOf(node, values);
    } else if (typeof node === 'object' && node !== null) {
      for (const child of Array.isArray(node) ? node : Object.values(node)) {
        if (typeof child === 'string' || (typeof child === 'object' && child !== null)) {
          stack.push(child);
        }
      }
    }
  }
  return values;
}

/**
 * One pass over `text`: every maximal run of hex digits 32 or 64 long is a
 * hash; every maximal run of hex digits, `:` and `.` is tried as an address
 * (with a `:port` suffix left off, and every dotted quad inside it), so that
 * a value is found however it is written. Finding too much only costs a
 * search; finding too little would settle an observable wrongly.
 */
function addValuesOf(text: string, values: Set<string>): void {
  let hexStart = -1;
  let runStart = -1;
  for (let i = 0; i <= text.length; i++) {
    const char = i < text.length ? text[i] : '';
    const hex = char !== '' && HEX_CHAR.test(char);
    const address = char !== '' && ADDRESS_CHAR.test(char);
    if (hex && hexStart === -1) hexStart = i;
    if (!hex && hexStart !== -1) {
      if (i - hexStart === 32 || i - hexStart === 64) {
        values.add(text.slice(hexStart, i).toLowerCase());
      }
      hexStart = -1;
    }
    if (address && runStart === -1) runStart = i;
    if (!address && runStart !== -1) {
      addAddressesOf(text.slice(runStart, i), values);
      runStart = -1;
    }
  }
}

function addAddressesOf(run: string, values: Set<string>): void {
  if (!run.includes('.') && !run.includes(':')) return;
  for (const candidate of [run, run.replace(PORT_SUFFIX, '')]) {
    const address = normaliseIp(candidate);
    if (address !== undefined) values.add(address);
  }
  for (const quad of run.matchAll(DOTTED_QUAD)) {
    const address = normaliseIp(quad[0]);
    if (address !== undefined) values.add(address);
  }
}

function loggableType(type: unknown): string | undefined {
  return typeof type === 'string' && LOGGABLE_TYPE.test(type) ? type : undefined;
}
