import { describe, expect, it } from '@jest/globals';
import { RelayError } from '../common/relay-error.js';
import { expectedAnswerBytes, onlyObjects, parseEventsArray, resultOf } from './events-answer.js';

describe('events answers', () => {
  it('parses an array of at most the page size, and names what is wrong otherwise', () => {
    expect(parseEventsArray('[{"id":1},2]', 2)).toEqual([{ id: 1 }, 2]);
    const problems = ['{"a":1}', '[1,2,3]', '[1,'].map((body) => {
      try {
        parseEventsArray(body, 2);
        return 'parsed';
      } catch (error) {
        return (error as RelayError).toItem().message;
      }
    });
    expect(problems).toEqual([
      expect.stringContaining('the events answer is not a JSON array'),
      expect.stringContaining('the events answer holds more events than the page size asked for'),
      expect.stringContaining('the events answer is not valid JSON'),
    ]);
  });

  it('keeps only objects, and reports the answer’s size and time', () => {
    expect(onlyObjects([{ id: 1 }, null, [1], 'x', 3])).toEqual([{ id: 1 }]);
    expect(
      resultOf({ pageSize: 2, eventsJson: '[{"id":1},7]', events: [{ id: 1 }, 7], fetchedAt: 5 }),
    ).toEqual({ events: [{ id: 1 }], bytes: 12, fetchedAt: 5 });
  });

  it('claims room for a full page, within 16 KiB and the largest answer read', () => {
    expect([
      expectedAnswerBytes(1, 1_000_000),
      expectedAnswerBytes(100, 1_000_000),
      expectedAnswerBytes(1000, 1_000_000),
    ]).toEqual([16 * 1024, 204_800, 1_000_000]);
  });
});
