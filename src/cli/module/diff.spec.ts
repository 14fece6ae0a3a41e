import { describe, expect, it } from '@jest/globals';
import { changedKeys } from './diff.js';

const settings = { url: 'https://relay.example.com', 'supported-apis': ['health'] };
const desired = { name: 'Qualys IOC', visibility: 'org', settings };

describe('changedKeys (spec §10 edit)', () => {
  it('is empty when every key is equal, whatever else the API returns', () => {
    expect(
      changedKeys(desired, { id: 'x', enabled: true, ...desired, settings: { ...settings } }),
    ).toEqual({});
  });

  it('sends only the top-level key that changed', () => {
    expect(changedKeys(desired, { id: 'x', ...desired, visibility: 'user' })).toEqual({
      visibility: 'org',
    });
  });

  it('sends the whole nested object when anything inside it differs', () => {
    const current = {
      ...desired,
      settings: { ...settings, 'supported-apis': ['health', 'refer/observables'] },
    };
    expect(changedKeys(desired, current)).toEqual({ settings });
  });

  it('counts a key the API did not return as different', () => {
    const { visibility: _omitted, ...current } = desired;
    expect(changedKeys(desired, current)).toEqual({ visibility: 'org' });
  });

  it('compares lists in order and values by type', () => {
    expect(changedKeys({ list: ['a', 'b'], n: 1 }, { list: ['b', 'a'], n: '1' })).toEqual({
      list: ['a', 'b'],
      n: 1,
    });
  });
});
