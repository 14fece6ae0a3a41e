import { describe, expect, it } from '@jest/globals';
import { SearchLog } from './search-log.js';

describe('SearchLog', () => {
  it('records arrivals, completes them, and snapshots copies', () => {
    const log = new SearchLog(10);
    const first = log.start('alice', 1000, undefined);
    log.start(undefined, 1001, undefined);
    const refused = log.start('alice', 1002, 'concurrency');
    log.finish(refused, 1003, 429);
    const before = log.snapshot();
    log.finish(first, 1100, 200);
    expect(before).toEqual([
      { user: 'alice', startedAt: 1000 },
      { startedAt: 1001 },
      { user: 'alice', startedAt: 1002, endedAt: 1003, status: 429, refused: 'concurrency' },
    ]);
    expect(log.snapshot()[0]).toStrictEqual({
      user: 'alice',
      startedAt: 1000,
      endedAt: 1100,
      status: 200,
    });
  });

  it('records an end without a status when nothing was answered', () => {
    const log = new SearchLog(10);
    log.finish(log.start('alice', 1000, undefined), 1500, undefined);
    expect(log.snapshot()).toStrictEqual([{ user: 'alice', startedAt: 1000, endedAt: 1500 }]);
  });

  it('keeps the latest entries only, and clears', () => {
    const log = new SearchLog(2);
    for (let i = 0; i < 5; i++) log.start('alice', i, undefined);
    expect(log.snapshot().map((entry) => entry.startedAt)).toEqual([3, 4]);
    const running = log.start('alice', 5, undefined);
    log.clear();
    log.finish(running, 6, 200);
    expect(log.snapshot()).toEqual([]);
  });
});
