import { isDeepStrictEqual } from 'node:util';

/**
 * Spec §10 `edit`: the top-level keys of `desired` whose value differs from
 * `current` (what the API listed). A nested object is compared whole, so a
 * change anywhere inside `settings` sends the whole `settings`; a key the API
 * did not return counts as different. Keys only `current` has (`id`, …) are
 * not the CLI's to change and are ignored.
 */
export function changedKeys(
  desired: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(desired)) {
    if (!Object.hasOwn(current, key) || !isDeepStrictEqual(current[key], value)) {
      changes[key] = value;
    }
  }
  return changes;
}
