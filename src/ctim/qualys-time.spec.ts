import { describe, expect, it } from '@jest/globals';
import { normaliseQualysTime } from './qualys-time.js';

describe('normaliseQualysTime', () => {
  it.each([
    ['Qualys +0000', '2024-05-14T09:12:44.000+0000', '2024-05-14T09:12:44.000Z'],
    ['+00:00', '2024-05-14T09:12:44.000+00:00', '2024-05-14T09:12:44.000Z'],
    ['Z', '2024-05-14T09:12:44.000Z', '2024-05-14T09:12:44.000Z'],
    ['lower-case z', '2024-05-14t09:12:44.000z', '2024-05-14T09:12:44.000Z'],
    ['a positive offset', '2024-05-14T11:12:44.123+0200', '2024-05-14T09:12:44.123Z'],
    ['a negative offset with colon', '2024-05-14T03:42:44.000-05:30', '2024-05-14T09:12:44.000Z'],
    ['an hour-only offset', '2024-05-14T10:12:44.000+01', '2024-05-14T09:12:44.000Z'],
    ['an offset crossing midnight', '2024-05-15T01:00:00.000+0300', '2024-05-14T22:00:00.000Z'],
    ['no milliseconds', '2024-05-14T09:12:44+0000', '2024-05-14T09:12:44.000Z'],
    ['no seconds', '2024-05-14T09:12Z', '2024-05-14T09:12:00.000Z'],
    ['one fraction digit', '2024-05-14T09:12:44.5Z', '2024-05-14T09:12:44.500Z'],
    ['microseconds, cut not rounded', '2024-05-14T09:12:44.999999Z', '2024-05-14T09:12:44.999Z'],
    ['no offset, read as UTC', '2024-05-14T09:12:44.000', '2024-05-14T09:12:44.000Z'],
    ['a space separator', '2024-05-14 09:12:44.000+0000', '2024-05-14T09:12:44.000Z'],
    ['surrounding blanks', ' 2024-05-14T09:12:44.000+0000 ', '2024-05-14T09:12:44.000Z'],
    ['a leap day', '2024-02-29T00:00:00.000+0000', '2024-02-29T00:00:00.000Z'],
  ])('normalises %s', (_name, raw, expected) => {
    expect(normaliseQualysTime(raw)).toBe(expected);
  });

  it.each([
    ['an empty string', ''],
    ['a date only', '2024-05-14'],
    ['words', 'yesterday'],
    ['February 30', '2024-02-30T09:12:44.000Z'],
    ['a non-leap Feb 29', '2023-02-29T09:12:44.000Z'],
    ['hour 24', '2024-05-14T24:00:00.000Z'],
    ['minute 60', '2024-05-14T09:60:00.000Z'],
    ['a leap second', '2024-05-14T23:59:60.000Z'],
    ['month 13', '2024-13-14T09:12:44.000Z'],
    ['an offset of 24 hours', '2024-05-14T09:12:44.000+2400'],
    ['an offset minute of 60', '2024-05-14T09:12:44.000+0060'],
    ['a two-digit year', '24-05-14T09:12:44.000Z'],
    ['year 0099', '0099-05-14T09:12:44.000Z'],
    ['a year past 9999 after the offset', '9999-12-31T23:30:00.000-0100'],
    ['an epoch number', 1715677964000],
    ['null', null],
    ['undefined', undefined],
    ['an object', { dateTime: '2024-05-14T09:12:44.000Z' }],
  ])('returns undefined for %s', (_name, raw) => {
    expect(normaliseQualysTime(raw)).toBeUndefined();
  });
});
