import { describe, expect, it } from '@jest/globals';
import { batchHooks, UNMATCHED_LOG_INTERVAL_MS, UnmatchedEventsLog } from './batch-telemetry.js';

/** A log that keeps its lines. */
function recordingLog() {
  const lines: [string, object, string][] = [];
  return {
    lines,
    debug: (fields: object, message: string) => lines.push(['debug', fields, message]),
    warn: (fields: object, message: string) => lines.push(['warn', fields, message]),
  };
}

const UNMATCHED =
  'Qualys IOC answered a batched search with events that match none of its observables; they were searched one by one';

describe('UnmatchedEventsLog (spec §12)', () => {
  it('logs at most one line an hour per subscription, with the event type only', () => {
    let now = 0;
    const log = recordingLog();
    const unmatched = new UnmatchedEventsLog(log, () => now);
    unmatched.note('subscription-1', 'FILE');
    unmatched.note('subscription-1', 'NETWORK');
    unmatched.note('subscription-2', undefined);
    now = UNMATCHED_LOG_INTERVAL_MS;
    unmatched.note('subscription-1', 'PROCESS');
    expect(log.lines).toEqual([
      ['warn', { eventType: 'FILE' }, UNMATCHED],
      ['warn', { eventType: 'unknown' }, UNMATCHED],
      ['warn', { eventType: 'PROCESS' }, UNMATCHED],
    ]);
  });

  it('forgets the oldest subscription past its bound', () => {
    const log = recordingLog();
    const unmatched = new UnmatchedEventsLog(log, () => 0, 2);
    for (const id of ['a', 'b', 'c', 'a']) unmatched.note(id, 'FILE');
    // 'a' was forgotten when 'c' came: it logs again, early.
    expect(log.lines).toHaveLength(4);
  });
});

describe('batchHooks', () => {
  it('counts batch answers and settled observables, and logs sizes and outcome only', () => {
    const counted: string[] = [];
    const log = recordingLog();
    const hooks = batchHooks(
      {
        batchAnswered: (outcome) => counted.push(`answer:${outcome}`),
        observableSettled: (by) => counted.push(`settled:${by}`),
      },
      log,
      new UnmatchedEventsLog(log, () => 0),
      'subscription',
    );
    hooks.batchAnswered?.('split');
    hooks.observableSettled?.('batch');
    const line = {
      kind: 'exact',
      active: true,
      observables: 20,
      pageSize: 1000,
      events: 3,
      outcome: 'settled',
      settled: 20,
      alone: 0,
      rebatched: 0,
    } as const;
    hooks.debug?.(line);
    hooks.unmatchedEvents?.('FILE');
    expect(counted).toEqual(['answer:split', 'settled:batch']);
    expect(log.lines).toEqual([
      ['debug', { batch: line }, 'Batched search answered'],
      ['warn', { eventType: 'FILE' }, UNMATCHED],
    ]);
  });
});
