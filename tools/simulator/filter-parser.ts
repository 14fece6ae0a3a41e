/**
 * Parses the Qualys IOC search filters the relay builds (spec §4) into a small
 * AST, and matches events against it.
 *
 * Grammar (keywords case-insensitive, `and` binds tighter than `or`):
 *   filter := conjunction ( ws+ "or" ws+ conjunction )*
 *   conjunction := clause ( ws+ "and" ws+ clause )*
 *   clause := field ws* ":" ws* quoted
 *   quoted := '"' ( any char but '"' or '\' | '\"' | '\\' )* '"'
 *
 * Deliberately strict: anything the relay should never send (unknown fields,
 * bare values, other escapes, parentheses) is a parse error, so a relay bug
 * shows up as a 400 in tests instead of as silently wrong results.
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
  return new Parser(text).parse();
}

export function matchesFilter(expression: FilterExpression, event: unknown): boolean {
  return expression.anyOf.some((group) =>
    group.every((clause) => valueAt(event, clause.path) === clause.value),
  );
}

/** Parses once and returns a reusable predicate. */
export function compileFilter(text: string): (event: unknown) => boolean {
  const expression = parseFilter(text);
  return (event) => matchesFilter(expression, event);
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

  parse(): FilterExpression {
    this.skipWhitespace();
    if (this.atEnd()) throw this.error('empty filter');
    const anyOf: FilterClause[][] = [[this.parseClause()]];
    for (;;) {
      const keyword = this.parseKeyword();
      if (keyword === undefined) break;
      const clause = this.parseClause();
      if (keyword === 'or') anyOf.push([clause]);
      else anyOf[anyOf.length - 1].push(clause);
    }
    this.skipWhitespace();
    if (!this.atEnd()) throw this.error(`unexpected character '${this.peek()}'`);
    return { anyOf };
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

  /** Reads ` or ` / ` and ` between clauses; undefined at the end of the filter. */
  private parseKeyword(): 'or' | 'and' | undefined {
    const start = this.index;
    this.skipWhitespace();
    if (this.atEnd()) return undefined;
    if (this.index === start) throw this.error(`unexpected character '${this.peek()}'`);
    const match = /^(or|and)(?=[ \t]|$)/i.exec(this.text.slice(this.index));
    if (match === null) throw this.error("expected 'or' or 'and'");
    this.index += match[1].length;
    return match[1].toLowerCase() as 'or' | 'and';
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
