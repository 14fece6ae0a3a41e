/**
 * Percent-encodes like Python's `urllib.parse.quote`, which the original relay
 * used for refer ids and console links: the links and ids we produce stay
 * byte-identical across the migration. `encodeURIComponent` leaves `!'()*`
 * alone; `quote` does not.
 */
export function quote(value: string, safe = ''): string {
  let encoded = encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  for (const char of safe) {
    encoded = encoded.split(encodeURIComponent(char)).join(char);
  }
  return encoded;
}
