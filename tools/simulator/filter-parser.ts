/**
 * Parses the Qualys IOC search filters the relay builds (spec §4, and the
 * batched filters of spec §12) into a small AST, and matches events against it.
 *
 * Grammar (keywords case-insensitive, `and` binds tighter than `or`):
 *   filter := disjunction
 *   disjunction := conjunction ( ws+ "or" ws+ conjunction )*
 *   conjunction := primary ( ws+ "and" ws+ primary )*
 *   primary := clause | "(" ws* disjunction ws* ")"
 *   clause := field ws* ":" ws* quoted
 *   quoted := '"' ( any char but '"' or '\' | '\"' | '\\' )* '"'
 *
 * Deliberately strict: anything the relay should never send (unknown fields,
 * bare values, other escapes, unbalanced parentheses) is a parse error, so a
 * relay bug shows up as a 400 in tests instead of as silently wrong results.
 *
 * Matching: a field equals the value. With `containsMatch`, the contains
 * fields (file name, full path, domain, mutex) hold it anywhere in their
 * text, as Qualys matches them (spec §12); off by default, so the data set
 * answers single searches as it always has. With `looseHashes`, a hash clause
 * also matches in another case and through `indicator2[].sha256` / `.md5`:
 * a Qualys that finds events the relay cannot attribute (spec §12 fallback).
 */

/**
 * Qualys's query language names fields differently from the JSON it returns;
 * this maps each filter field the relay may use to the event property it reads.
 */
export const FILTER_FIELD_PATHS: Readonly<Record<string, readonly string[]>> = {
  'file.hash.md5': ['file', 'md5'],
  'file.hash.sha256': ['file', 'sha256'],
  'file.name': ['file', 'fileName'],
  'file.fullPath': ['file', 'fullPath'],
  'network.local.address.ip': ['network', 'localIP'],
  'network.remote.address.ip': ['network', 'remoteIP'],
  'network.remote.address.fqdn': ['network', 'remoteDns'],
  'handle.name': ['handle', 'name'],
};

/** Fields Qualys matches inside longer values (spec §12 "contains" types). */
export const CONTAINS_FIELDS: ReadonlySet<string> = new Set([
  'file.name',
  'file.fullPath',
  'network.remote.address.fqdn',
  'handle.name',
]);

/** Past these, a filter is refused: nesting and the number of alternatives stay bounded. */
const MAX_DEPTH = 8;
const MAX_ALTERNATIVES = 10_000;

/** One `<field>: "<value>"` term. */
export interface FilterClause {
  field: string;
  path: readonly string[];
  value: string;
}

/** Disjunctive normal form: the event matches when every clause of any group matches. */
export interface FilterExpression {
  anyOf: FilterClause[][];
}

export class FilterParseError extends Error {
  override readonly name = 'FilterParseError';

  constructor(
    readonly reason: string,
    /** 0-based offset in the filter text where parsing failed. */
    readonly position: number,
  ) {
    super(`${reason} at position ${position}`);
  }
}

const FIELD_START = /[A-Za-z]/;
const FIELD_CHAR = /[A-Za-z0-9.]/;
const WHITESPACE = /[ \t]/;

export function parseFilter(text: string): FilterExpression {
  return parseSearchFilter(text).expression;
}

/** A parsed filter and how many observables it asks about (spec §12). */
export interface ParsedFilter {
  expression: FilterExpression;
  /**
   * The operands of a top-level `or` when there are two or more and every
   * one is in parentheses — `(f1) or (f2) …`, a batched search — else 1.
   */
  observables: number;
}

export function parseSearchFilter(text: string): ParsedFilter {
  return new Parser(text).parse();
}

/** How many observables a filter asks about (see `ParsedFilter`); 1 when it does not parse. */
export function batchedObservables(text: string): number {
  try {
    return parseSearchFilter(text).observables;
  } catch (error) {
    if (error instanceof FilterParseError) return 1;
    throw error;
  }
}

export interface MatchOptions {
  /** Contains fields (`CONTAINS_FIELDS`) match a value anywhere in their text. */
  containsMatch?: boolean;
  /** Hash clauses also match in another case and through `indicator2[].sha256` / `.md5`. */
  looseHashes?: boolean;
}

export function matchesFilter(
  expression: FilterExpression,
  event: unknown,
  options: MatchOptions = {},
): boolean {
  return expression.anyOf.some((group) =>
    group.every((clause) => matchesClause(clause, event, options)),
  );
}

/** Parses once and returns a reusable predicate. */
export function compileFilter(
  text: string,
  options: MatchOptions = {},
): (event: unknown) => boolean {
  const expression = parseFilter(text);
  return (event) => matchesFilter(expression, event, options);
}

function matchesClause(clause: FilterClause, event: unknown, options: MatchOptions): boolean {
  const found = valueAt(event, clause.path);
  if (options.containsMatch && CONTAINS_FIELDS.has(clause.field)) {
    return typeof found === 'string' && found.includes(clause.value);
  }
  if (found === clause.value) return true;
  if (!options.looseHashes || !clause.field.startsWith('file.hash.')) return false;
  const wanted = clause.value.toLowerCase();
  const key = clause.path[clause.path.length - 1];
  if (typeof found === 'string' && found.toLowerCase() === wanted) return true;
  const verdicts = valueAt(event, ['indicator2']);
  return (
    Array.isArray(verdicts) &&
    verdicts.some((entry) => {
      const hash = valueAt(entry, [key]);
      return typeof hash === 'string' && hash.toLowerCase() === wanted;
    })
  );
}

function valueAt(source: unknown, path: readonly string[]): unknown {
  let current = source;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

class Parser {
  private index = 0;

  constructor(private readonly text: string) {}

  parse(): ParsedFilter {
    this.skipWhitespace();
    if (this.atEnd()) throw this.error('empty filter');
    const { anyOf, operands } = this.parseDisjunction(0);
    this.skipWhitespace();
    if (!this.atEnd()) throw this.error(`unexpected character '${this.peek()}'`);
    const batched = operands.length > 1 && operands.every((operand) => operand.parenthesised);
    return { expression: { anyOf }, observables: batched ? operands.length : 1 };
  }

  /** `conjunction ( or conjunction )*`, in disjunctive normal form, with its operands. */
  private parseDisjunction(depth: number): {
    anyOf: FilterClause[][];
    operands: { parenthesised: boolean }[];
  } {
    const first = this.parseConjunction(depth);
    const anyOf = [...first.anyOf];
    const operands = [{ parenthesised: first.parenthesised }];
    while (this.peekKeyword() === 'or') {
      this.takeKeyword();
      const next = this.parseConjunction(depth);
      anyOf.push(...next.anyOf);
      operands.push({ parenthesised: next.parenthesised });
      if (anyOf.length > MAX_ALTERNATIVES) throw this.error('filter too complex');
    }
    return { anyOf, operands };
  }

  /** `primary ( and primary )*`: every combination of its primaries' alternatives. */
  private parseConjunction(depth: number): { anyOf: FilterClause[][]; parenthesised: boolean } {
    const first = this.parsePrimary(depth);
    let anyOf = first.anyOf;
    let primaries = 1;
    while (this.peekKeyword() === 'and') {
      this.takeKeyword();
      const next = this.parsePrimary(depth).anyOf;
      if (anyOf.length * next.length > MAX_ALTERNATIVES) throw this.error('filter too complex');
      anyOf = anyOf.flatMap((group) => next.map((other) => [...group, ...other]));
      primaries++;
    }
    return { anyOf, parenthesised: primaries === 1 && first.parenthesised };
  }

  private parsePrimary(depth: number): { anyOf: FilterClause[][]; parenthesised: boolean } {
    this.skipWhitespace();
    if (this.peek() !== '(') return { anyOf: [[this.parseClause()]], parenthesised: false };
    if (depth >= MAX_DEPTH) throw this.error('filter nested too deeply');
    this.index++;
    this.skipWhitespace();
    const { anyOf } = this.parseDisjunction(depth + 1);
    this.skipWhitespace();
    this.expect(')');
    return { anyOf, parenthesised: true };
  }

  private parseClause(): FilterClause {
    this.skipWhitespace();
    const fieldStart = this.index;
    const field = this.parseField();
    // hasOwn, not a plain lookup: `constructor` or `toString` must not resolve to Object.prototype.
    if (!Object.hasOwn(FILTER_FIELD_PATHS, field)) {
      throw new FilterParseError(`unknown field '${field}'`, fieldStart);
    }
    const path = FILTER_FIELD_PATHS[field];
    this.skipWhitespace();
    this.expect(':');
    this.skipWhitespace();
    return { field, path, value: this.parseQuoted() };
  }

  private parseField(): string {
    const start = this.index;
    if (this.atEnd() || !FIELD_START.test(this.peek())) throw this.error('expected a field name');
    while (!this.atEnd() && FIELD_CHAR.test(this.peek())) this.index++;
    return this.text.slice(start, this.index);
  }

  private parseQuoted(): string {
    this.expect('"');
    let value = '';
    for (;;) {
      if (this.atEnd()) throw this.error('unterminated quoted value');
      const char = this.text[this.index++];
      if (char === '"') return value;
      if (char !== '\\') {
        value += char;
        continue;
      }
      if (this.atEnd()) throw this.error('unterminated escape');
      const escaped = this.text[this.index];
      // Spec §4 escapes only `"` and `\`; anything else means the relay's escaping is wrong.
      if (escaped !== '"' && escaped !== '\\')
        throw this.error(`unsupported escape '\\${escaped}'`);
      value += escaped;
      this.index++;
    }
  }

  /**
   * The ` or ` / ` and ` after an operand, without reading it; undefined at
   * the end of the filter or of a group.
   */
  private peekKeyword(): 'or' | 'and' | undefined {
    const start = this.index;
    this.skipWhitespace();
    const next = this.peek();
    const blank = this.index > start;
    this.index = start;
    if (next === '' || next === ')') return undefined;
    if (!blank) throw new FilterParseError(`unexpected character '${next}'`, start);
    let at = start;
    while (WHITESPACE.test(this.text[at] ?? '')) at++;
    const match = /^(or|and)(?=[ \t]|$)/i.exec(this.text.slice(at, at + 4));
    if (match === null) throw new FilterParseError("expected 'or' or 'and'", at);
    return match[1].toLowerCase() as 'or' | 'and';
  }

  private takeKeyword(): void {
    this.skipWhitespace();
    while (!this.atEnd() && /[A-Za-z]/.test(this.peek())) this.index++;
  }

  private expect(char: string): void {
    if (this.peek() !== char) throw this.error(`expected '${char}'`);
    this.index++;
  }

  private skipWhitespace(): void {
    while (!this.atEnd() && WHITESPACE.test(this.peek())) this.index++;
  }

  private peek(): string {
    return this.text[this.index] ?? '';
  }

  private atEnd(): boolean {
    return this.index >= this.text.length;
  }

  private error(reason: string): FilterParseError {
    return new FilterParseError(reason, this.index);
  }
}
