/**
 * CTIM string lengths (shared/docs/ctim.md "Formats"; spec §5: "title/reason
 * ≤ 1024, description ≤ 5000"). CTIM counts Java characters, i.e. UTF-16 code
 * units, which is what `String.prototype.length` counts too.
 */
export const CTIM_SHORT_STRING_MAX = 1024;
export const CTIM_LONG_STRING_MAX = 5000;

/** Cuts `text` to at most `max` UTF-16 code units without splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  // A lone high surrogate at the end would be half of an emoji: drop it too.
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** Spec §5: `title`, `reason` ≤ 1024. */
export function truncateShort(text: string): string {
  return truncate(text, CTIM_SHORT_STRING_MAX);
}

/** Spec §5: `description` ≤ 5000. */
export function truncateLong(text: string): string {
  return truncate(text, CTIM_LONG_STRING_MAX);
}
