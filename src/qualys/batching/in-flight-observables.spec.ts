import { describe, expect, it } from '@jest/globals';
import { InFlightObservables } from './in-flight-observables.js';

const key = InFlightObservables.keyOf('creds', 'sha256', 'ab', true);

describe('observables in flight (spec §12)', () => {
  it('keys by credentials, type, value as sent and state, without collisions', () => {
    const keys = [
      key,
      InFlightObservables.keyOf('creds', 'sha256', 'ab', false),
      InFlightObservables.keyOf('creds', 'sha256', 'AB', true),
      InFlightObservables.keyOf('other', 'sha256', 'ab', true),
      InFlightObservables.keyOf('creds', 'md5', 'ab', true),
      InFlightObservables.keyOf('creds|3:sha', '256', 'ab', true),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('lets a search join one whose limit covers its own, and hands it the outcome', async () => {
    const registry = new InFlightObservables();
    const release = registry.claim(key, 10);
    expect(registry.joinable(key, 11)).toBeUndefined();
    const entry = registry.joinable(key, 10);
    expect(entry?.limit).toBe(10);
    release({ kind: 'settled', events: [{ id: 1 }], fetchedAt: 5, bytes: 9 });
    await expect(entry?.outcome).resolves.toEqual({
      kind: 'settled',
      events: [{ id: 1 }],
      fetchedAt: 5,
      bytes: 9,
    });
    expect(registry.joinable(key, 1)).toBeUndefined();
  });

  it('keeps the larger claim, and a smaller one ending does not drop it', async () => {
    const registry = new InFlightObservables();
    const small = registry.claim(key, 5);
    const large = registry.claim(key, 50);
    expect(registry.joinable(key, 50)?.limit).toBe(50);
    const late = registry.claim(key, 20);
    small({ kind: 'failed' });
    late({ kind: 'failed' });
    const entry = registry.joinable(key, 50);
    expect(entry?.limit).toBe(50);
    large({ kind: 'failed' });
    large({ kind: 'settled', events: [], fetchedAt: 1, bytes: 0 });
    await expect(entry?.outcome).resolves.toEqual({ kind: 'failed' });
    expect(registry.joinable(key, 1)).toBeUndefined();
  });
});
