/**
 * JSON arrays from untrusted text (Qualys answers, cached answers), parsed
 * only once a linear scan has shown that materialising them is bounded
 * (spec §15): at most `maxElements` top-level elements, nesting at most
 * `MAX_JSON_DEPTH` deep and at most `MAX_CONTAINERS_PER_ELEMENT` objects or
 * arrays per element. `JSON.parse` alone would build every value first: a
 * 4 MB `[{},{},…]` (a few KB gzip) is 1.3 million objects, and 4 MB of `[`
 * 4 million nested arrays, either more than the heap.
 */

/** Deeper than any Qualys event (a handful of levels); stops `[[[[…` before it is built. */
export const MAX_JSON_DEPTH = 32;
/** A Qualys event holds a few dozen objects and arrays; a flood inside one element stops here. */
export const MAX_CONTAINERS_PER_ELEMENT = 256;

export type JsonArrayProblem =
  /** Not JSON at all (or cut off). */
  | 'invalid'
  /** JSON, but its top-level value is not an array. */
  | 'not-array'
  /** More than `maxElements` top-level elements. */
  | 'too-many-elements'
  /** Nested deeper than `MAX_JSON_DEPTH`, or more objects and arrays than its elements may hold. */
  | 'too-complex';

export type JsonArrayResult =
  { ok: true; elements: unknown[] } | { ok: false; problem: JsonArrayProblem };

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const isWhitespace = (c: number): boolean => c === SPACE || c === LF || c === CR || c === TAB;

/** Characters a JSON value other than an array may start with: `{ " - 0-9 t f n`. */
function startsOtherValue(c: number): boolean {
  return (
    c === OPEN_OBJECT ||
    c === QUOTE ||
    c === 0x2d ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x74 ||
    c === 0x66 ||
    c === 0x6e
  );
}

/**
 * Index just past the string whose opening quote is at `open`, or -1 when it
 * never ends. Linear: each quote found is checked once for the backslashes
 * right before it, and the search goes on after it.
 */
function endOfString(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let i = quote - 1; i > open && text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/**
 * Walks the top level of a JSON array without building anything: counts its
 * elements (a value starts after `[` or `,`), tracks strings and escapes so
 * brackets and commas inside them do not count, and stops at the first
 * bound crossed. What it passes is then checked in full by `JSON.parse`.
 */
export function scanJsonArray(text: string, maxElements: number): JsonArrayProblem | undefined {
  const length = text.length;
  let i = 0;
  while (i < length && isWhitespace(text.charCodeAt(i))) i++;
  if (i === length) return 'invalid';
  if (text.charCodeAt(i) !== OPEN_ARRAY) {
    return startsOtherValue(text.charCodeAt(i)) ? 'not-array' : 'invalid';
  }
  let depth = 1;
  let elements = 0;
  let containers = 0;
  let valueExpected = true;
  for (i++; i < length; i++) {
    const c = text.charCodeAt(i);
    if (isWhitespace(c)) continue;
    if (depth === 1) {
      if (c === COMMA) {
        valueExpected = true;
        continue;
      }
      if (c === CLOSE_ARRAY) {
        depth = 0;
        break;
      }
      if (valueExpected) {
        valueExpected = false;
        if (++elements > maxElements) return 'too-many-elements';
      }
    }
    if (c === QUOTE) {
      const end = endOfString(text, i);
      if (end < 0) return 'invalid';
      i = end - 1;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > MAX_JSON_DEPTH) return 'too-complex';
      if (++containers > elements * MAX_CONTAINERS_PER_ELEMENT) return 'too-complex';
    } else if ((c === CLOSE_ARRAY || c === CLOSE_OBJECT) && --depth === 0) {
      break; // a mismatched `}` closing the array: JSON.parse refuses what follows
    }
  }
  if (depth !== 0) return 'invalid';
  for (i++; i < length; i++) if (!isWhitespace(text.charCodeAt(i))) return 'invalid';
  return undefined;
}

/** The array's elements when `text` is a JSON array within the bounds, else why not. */
export function parseJsonArray(text: string, maxElements: number): JsonArrayResult {
  const problem = scanJsonArray(text, maxElements);
  if (problem !== undefined) return { ok: false, problem };
  try {
    return { ok: true, elements: JSON.parse(text) as unknown[] };
  } catch {
    return { ok: false, problem: 'invalid' };
  }
}
