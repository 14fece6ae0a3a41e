/**
 * Defensive readers for the loosely typed Qualys event (spec §7: "blocks may be
 * missing, and unknown fields appear. Missing data never crashes a mapping").
 * The static `QualysEvent` type is a hint only: at run time any field may hold
 * any JSON value, so every reader here takes `unknown`.
 */

/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `container[key]` when `container` is a JSON object, else `undefined`. */
export function readField(container: unknown, key: string): unknown {
  return isJsonObject(container) ? container[key] : undefined;
}

/**
 * A value as a non-empty string: strings as they are, finite numbers through
 * `String` (Qualys sends some ids and scores as numbers); `''`, `null`,
 * booleans, objects and arrays are "no value" (spec §5: fields with no value
 * are omitted).
 */
export function asNonEmptyString(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value === '' ? undefined : value;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return undefined;
}

/** `asNonEmptyString(container[key])`. */
export function readString(container: unknown, key: string): string | undefined {
  return asNonEmptyString(readField(container, key));
}

/** The JSON objects of `container[key]` when it is an array; other entries are dropped. */
export function readObjectList(container: unknown, key: string): JsonObject[] {
  const list = readField(container, key);
  return Array.isArray(list) ? list.filter(isJsonObject) : [];
}
