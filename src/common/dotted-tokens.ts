/**
 * Linear-time search for token shapes in untrusted text (spec §15 "Linear
 * text"): JWTs and other three-part dotted tokens.
 *
 * Why not a regular expression: a backtracking pattern such as
 * `eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*` restarts at every `eyJ` and rereads the
 * rest of the run each time, so `eyJeyJeyJ…` without a dot costs time
 * quadratic in its length. Here the text is split once into runs of `[A-Za-z0-9_.-]` and each run once into its
 * dot-separated segments; whether a triple of segments is a token is decided
 * from the segments alone.
 */

/** How a token of three dot-separated `[\w-]*` segments is recognised. */
export interface DottedTokenRule {
  /**
   * Where in `segment` a token may begin (the text before it is kept), or -1
   * when no token begins in this segment.
   */
  start(segment: string): number;
  /** Least length of the middle segment. */
  readonly middleMin: number;
  /** Least length of the last segment. */
  readonly lastMin: number;
}

/**
 * A JWT anywhere in free text (log lines): `eyJ` (a JSON header) and at least
 * 4 more characters, a middle segment of at least 4, and a last one — what
 * `eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*` matches.
 */
export const JWT_IN_TEXT: DottedTokenRule = {
  start(segment) {
    const start = segment.indexOf('eyJ');
    return start >= 0 && segment.length - start >= 7 ? start : -1;
  },
  middleMin: 4,
  lastMin: 0,
};

/**
 * A JWT at a word start (quoted upstream text): what
 * `\beyJ[\w-]*\.[\w-]+\.[\w-]*` matches. Inside a segment only a hyphen is
 * a non-word character, so a word starts at the segment or after a hyphen.
 */
export const JWT_AT_WORD_START: DottedTokenRule = {
  start(segment) {
    if (segment.startsWith('eyJ')) return 0;
    const hyphen = segment.indexOf('-eyJ');
    return hyphen >= 0 ? hyphen + 1 : -1;
  },
  middleMin: 1,
  lastMin: 0,
};

/** Three base64url segments of at least 10 characters: `[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}`. */
export const LONG_DOTTED_TRIPLE: DottedTokenRule = {
  start: (segment) => (segment.length >= 10 ? 0 : -1),
  middleMin: 10,
  lastMin: 10,
};

/** Runs of ASCII word characters, hyphens and dots: where a dotted token can lie. */
const RUN = /[\w.-]+/g;

/**
 * `text` with every token `rule` recognises replaced by `replacement`, the
 * leftmost first, as `text.replace` with the equivalent global pattern would
 * do (a token ends with its last segment; the search resumes after it).
 */
export function replaceDottedTokens(
  text: string,
  rule: DottedTokenRule,
  replacement: string,
): string {
  return text.replace(RUN, (run) => replaceInRun(run, rule, replacement));
}

function replaceInRun(run: string, rule: DottedTokenRule, replacement: string): string {
  const segments = run.split('.');
  if (segments.length < 3) return run;
  const parts: string[] = [];
  let index = 0;
  while (index < segments.length) {
    const segment = segments[index];
    const start = index + 2 < segments.length ? rule.start(segment) : -1;
    if (
      start >= 0 &&
      segments[index + 1].length >= rule.middleMin &&
      segments[index + 2].length >= rule.lastMin
    ) {
      parts.push(`${segment.slice(0, start)}${replacement}`);
      index += 3;
    } else {
      parts.push(segment);
      index += 1;
    }
  }
  return parts.join('.');
}
