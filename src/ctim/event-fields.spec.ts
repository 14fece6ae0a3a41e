import { describe, expect, it } from '@jest/globals';
import {
  asNonEmptyString,
  isJsonObject,
  readField,
  readObjectList,
  readString,
} from './event-fields.js';

describe('asNonEmptyString', () => {
  it.each([
    ['a string as it is', 'WIN10 ', 'WIN10 '],
    ['an integer as text', 42, '42'],
    ['a fraction as text', 1.5, '1.5'],
    ['zero as text', 0, '0'],
    ['an empty string as nothing', '', undefined],
    ['null as nothing', null, undefined],
    ['undefined as nothing', undefined, undefined],
    ['NaN as nothing', Number.NaN, undefined],
    ['Infinity as nothing', Number.POSITIVE_INFINITY, undefined],
    ['a boolean as nothing', false, undefined],
    ['an object as nothing', { value: 'x' }, undefined],
    ['an array as nothing', ['x'], undefined],
  ])('reads %s', (_name, raw, expected) => {
    expect(asNonEmptyString(raw)).toBe(expected);
  });
});

describe('readField and readString', () => {
  it('reads a field of an object', () => {
    expect([readField({ a: 1 }, 'a'), readString({ a: 1 }, 'a')]).toEqual([1, '1']);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'asset'],
    ['an array', [{ a: 'x' }]],
  ])('reads nothing from %s', (_name, container) => {
    expect([readField(container, 'a'), readString(container, 'a')]).toEqual([undefined, undefined]);
  });
});

describe('readObjectList', () => {
  it('keeps the objects of an array, in order, and drops everything else', () => {
    const list = [{ a: 1 }, null, 'x', 3, [{ a: 2 }], { a: 4 }];
    expect(readObjectList({ list }, 'list')).toEqual([{ a: 1 }, { a: 4 }]);
  });

  it.each([
    ['missing', {}],
    ['null', { list: null }],
    ['an object', { list: { a: 1 } }],
    ['a string', { list: 'a' }],
  ])('reads an empty list when the field is %s', (_name, container) => {
    expect(readObjectList(container, 'list')).toEqual([]);
  });
});

describe('isJsonObject', () => {
  it('accepts objects only', () => {
    expect([{}, [], null, 'x', 1].map(isJsonObject)).toEqual([true, false, false, false, false]);
  });
});
