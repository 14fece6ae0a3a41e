/**
 * Asymmetric matchers for CTIM values that are random by design (spec §5:
 * `transient:<entity>-<uuid>`), typed as the string they stand for so they
 * fit inside `toEqual` expectations of typed entities.
 */
import { expect } from '@jest/globals';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const UUID_V4 = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

/** Matches `transient:<entity>-<uuid>` (any version). */
export function anyTransientId(entity: string): string {
  return expect.stringMatching(new RegExp(`^transient:${entity}-${UUID}$`)) as unknown as string;
}

/** Matches `transient:<entity>-<uuid v4>`: a random id. */
export function randomTransientIdOf(entity: string): string {
  return expect.stringMatching(new RegExp(`^transient:${entity}-${UUID_V4}$`)) as unknown as string;
}
