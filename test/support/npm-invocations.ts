/**
 * Finds the `npm run <script> [-- args]` commands in a shell snippet, with the
 * words a shell would pass: quotes removed, `$VAR` replaced by a stand-in,
 * `VAR=value` prefixes collected as environment. Good enough for the commands
 * documentation shows; not a shell.
 */
export interface NpmInvocation {
  /** The command as written, continuation lines joined. */
  text: string;
  script: string;
  silent: boolean;
  args: string[];
  /** `VAR=value` words right before `npm`. */
  env: Record<string, string>;
  /** Its stdout is captured or redirected (`$(npm …)`, `npm … > file`, `npm … |`). */
  outputUsed: boolean;
}

/** What `$VAR` stands for in the checked commands. */
const STAND_INS: Record<string, string> = { URL: 'https://relay.example.com' };

/** Shell words of one simple command (no operators inside). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  const expand = (name: string): string => STAND_INS[name] ?? `value-of-${name}`;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      continue;
    }
    word ??= '';
    if (char === "'") {
      const end = closing(text, "'", i);
      word += text.slice(i + 1, end);
      i = end;
    } else if (char === '"') {
      const end = closing(text, '"', i);
      word += text
        .slice(i + 1, end)
        .replace(/\$\{?([A-Za-z_]\w*)\}?/g, (_match, name: string) => expand(name));
      i = end;
    } else if (char === '$') {
      const name = /^\$\{?([A-Za-z_]\w*)\}?/.exec(text.slice(i));
      if (name) {
        word += expand(name[1]);
        i += name[0].length - 1;
      } else {
        word += char;
      }
    } else {
      word += char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The index of the quote closing the one at `from` (the end of the text when none does). */
function closing(text: string, quote: string, from: number): number {
  const end = text.indexOf(quote, from + 1);
  return end === -1 ? text.length : end;
}

/** Removes a `# comment` that starts a word outside quotes. */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/**
 * Where the command starting at `from` ends: an unquoted operator, or the `)`
 * of the `$(…)` it sits in (quotes inside `$(…)` nest, as in a shell).
 */
function commandEnd(text: string, from: number): { end: number; operator: string } {
  let quote: string | undefined;
  for (let i = from; i < text.length; i += 1) {
    const char = text[i];
    if (quote) {
      if (char === quote) quote = undefined;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      continue;
    }
    const operator = /^(&&|\|\||[|;)<>\n])/.exec(text.slice(i));
    if (operator) return { end: i, operator: operator[1] };
  }
  return { end: text.length, operator: '' };
}

export function npmInvocations(snippet: string): NpmInvocation[] {
  const text = snippet.replace(/\\\n/g, ' ').split('\n').map(withoutComment).join('\n');
  const found: NpmInvocation[] = [];
  for (const match of text.matchAll(
    /((?:[A-Z_][A-Z0-9_]*=(?:'[^']*'|[^\s"'()$]+)[ \t]+)*)npm[ \t]+run[ \t]+/g,
  )) {
    const start = match.index + match[0].length;
    const { end, operator } = commandEnd(text, start);
    const words = shellWords(text.slice(start, end));
    const silent = words[0] === '-s' || words[0] === '--silent';
    const [script = '', ...rest] = silent ? words.slice(1) : words;
    const args = rest[0] === '--' ? rest.slice(1) : rest;
    const env = Object.fromEntries(
      shellWords(match[1]).map((assignment) => {
        const equals = assignment.indexOf('=');
        return [assignment.slice(0, equals), assignment.slice(equals + 1)];
      }),
    );
    const before = text.slice(0, match.index).trimEnd();
    const outputUsed =
      before.endsWith('$(') || operator === '>' || (operator === '|' && text[end + 1] !== '|');
    found.push({
      text: text.slice(match.index, end).trim(),
      script,
      silent,
      args,
      env,
      outputUsed,
    });
  }
  return found;
}
