import { describe, expect, it } from '@jest/globals';
import { notReady } from './readiness-answer.js';

describe('notReady (spec §15)', () => {
  it('names the failing checks only, without their figures', () => {
    expect(
      notReady({
        status: 'error',
        error: {
          heap: { status: 'down', usedMb: 200, maxUsedMb: 100 },
          event_loop: { status: 'down', p99DelayMs: 3000, maxDelayMs: 1000 },
        },
      }),
    ).toEqual({ status: 'error', failing: ['heap', 'event_loop'] });
  });

  it('names lifecycle while shutting down, once', () => {
    expect(notReady({ status: 'shutting_down', error: {} })).toEqual({
      status: 'error',
      failing: ['lifecycle'],
    });
    expect(notReady({ status: 'shutting_down', error: { lifecycle: { status: 'down' } } })).toEqual(
      { status: 'error', failing: ['lifecycle'] },
    );
  });
});
