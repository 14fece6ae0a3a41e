/**
 * The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`,
 * never ending inside a surrogate pair (a lone surrogate counts as the 3
 * bytes of U+FFFD, as encoders write it). Reads at most `maxBytes` code
 * units: what untrusted text is scanned through is bounded before the scan
 * (spec §15 "Linear text").
 */
export function utf8Prefix(text: string, maxBytes: number): string {
  // Every code unit encodes to at most 3 bytes (a pair: 4 bytes for 2 units).
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    let size = 3;
    let units = 1;
    if (code < 0x80) size = 1;
    else if (code < 0x800) size = 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1))) {
      size = 4;
      units = 2;
    }
    if (bytes + size > maxBytes) break;
    bytes += size;
    index += units;
  }
  return index === text.length ? text : text.slice(0, index);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
