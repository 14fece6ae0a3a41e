import { describe, expect, it } from '@jest/globals';
import { PYTHON_UUID5 } from '../../test/support/ctim-events.js';
import {
  deterministicTransientId,
  INDICATOR_ID_NAMESPACE,
  randomTransientId,
} from './transient-id.js';

describe('deterministicTransientId', () => {
  it('uses the X.500 namespace (Python uuid.NAMESPACE_X500)', () => {
    expect(INDICATOR_ID_NAMESPACE).toBe('6ba7b814-9dad-11d1-80b4-00c04fd430c8');
  });

  it('matches the uuid v5 Python computes for "abc", as the original relay did', () => {
    // python3 -c "import uuid;print(uuid.uuid5(uuid.NAMESPACE_X500,'abc'))"
    expect(deterministicTransientId('indicator', 'abc')).toBe(
      'transient:indicator-53e882a6-63b1-578b-8bf1-8f0878cfa6b7',
    );
    expect(PYTHON_UUID5.abc).toBe('53e882a6-63b1-578b-8bf1-8f0878cfa6b7');
  });

  it('gives different ids to different seeds', () => {
    expect(deterministicTransientId('indicator', 'abd')).not.toBe(
      deterministicTransientId('indicator', 'abc'),
    );
  });
});

describe('randomTransientId', () => {
  it('is a fresh transient uuid v4 each time', () => {
    const [a, b] = [randomTransientId('sighting'), randomTransientId('sighting')];
    expect(a).toMatch(
      /^transient:sighting-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(a).not.toBe(b);
  });
});
